// genre gan train / genre gan sample (genre/wavegan.h).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include "commands.h"
#include "genre/audio.h"
#include "genre/mel.h"
#include "genre/plot.h"
#include "genre/wavegan.h"

namespace genre::cli {
namespace {

// One panel per genre: the log-mel spectrogram (16 kHz, n_fft 512, hop 128, 64 bands, dB, one
// shared scale: the loudest panel's top 80 dB) of the first clip written into each genre folder.
void draw_samples(const std::vector<std::string>& files, const std::string& out) {
  LogMelParams p;
  p.sample_rate = 16000;
  p.stft.n_fft = 512;
  p.stft.hop_length = 128;
  p.mel.n_mels = 64;
  const LogMelSpectrogram log_mel(p);
  std::vector<std::pair<std::string, Matrix>> panels;
  std::set<std::string> seen;
  float hi = -1e30f;
  for (const auto& f : files) {
    const std::string genre = std::filesystem::path(f).parent_path().filename().string();
    if (!seen.insert(genre).second) continue;
    Matrix t = transpose(log_mel(load_audio(f, p.sample_rate).samples));  // bands x frames, lowest first
    for (float v : t.data) hi = std::max(hi, v);
    panels.push_back({genre, std::move(t)});
  }
  if (panels.empty()) throw std::runtime_error(out + ": no clips to draw");
  const int scale = 2, cols = 5, pad = 12, title_h = 22;
  const int pw = int(panels[0].second.cols) * scale, ph = int(panels[0].second.rows) * scale;
  const int rows = int((panels.size() + size_t(cols) - 1) / size_t(cols));
  Canvas cv(cols * (pw + pad) + pad, rows * (ph + pad + title_h) + pad + 24, {255, 255, 255});
  cv.text(pad, 6, "genre gan sample: one generated clip per genre - log-mel, 64 bands, 16 kHz, 1 s", {30, 30, 30});
  for (size_t i = 0; i < panels.size(); ++i) {
    const int x0 = pad + int(i % size_t(cols)) * (pw + pad), y0 = 24 + pad + int(i / size_t(cols)) * (ph + pad + title_h);
    cv.text(x0, y0, panels[i].first, {30, 30, 30}, 2);
    const Matrix& t = panels[i].second;
    cv.paste(x0, y0 + title_h, spectrogram_image(t.data.data(), int(t.rows), int(t.cols), hi - 80.f, hi, scale));
  }
  write_png(out, cv.image());
}

}  // namespace

void register_gan(CLI::App& app) {
  auto* gan = app.add_subcommand("gan", "WaveGAN: learn to make 1 s clips of each genre, and write them for augmentation");
  gan->require_subcommand(1);
  auto o = std::make_shared<GanOptions>();
  auto* tr = gan->add_subcommand("train", "Train a genre-conditioned WaveGAN (WGAN-GP) on a folder per genre, at 16 kHz");
  tr->add_option("-d,--data", o->data, "Folder of genre sub-folders (audio), or a comma list")->required();
  tr->add_option("-o,--out", o->out, "Output folder: gan.pt, checkpoint.pt, log.csv")->required();
  tr->add_option("--model-size", o->model_size, "d: channels 16d down to d (the paper's 64)")->check(CLI::Range(1, 256))->capture_default_str();
  tr->add_option("--latent", o->latent, "Latent vector size")->check(CLI::Range(1, 4096))->capture_default_str();
  tr->add_option("--batch-size", o->batch_size, "Batch size")->check(CLI::Range(2, 4096))->capture_default_str();
  tr->add_option("--steps", o->steps, "Generator steps in all (with --resume: the total)")->check(CLI::Range(1, 100000000))->capture_default_str();
  tr->add_option("--critic-steps", o->critic_steps, "Discriminator steps per generator step")->check(CLI::Range(1, 100))->capture_default_str();
  tr->add_option("--lr", o->lr, "Adam learning rate (betas 0.5, 0.9)")->capture_default_str();
  tr->add_option("--gradient-penalty", o->gradient_penalty, "WGAN-GP weight")->capture_default_str();
  tr->add_option("--slices-per-file", o->slices_per_file, "16384-sample slices kept from each file")->check(CLI::Range(1, 1000))->capture_default_str();
  tr->add_option("--checkpoint-every", o->checkpoint_every, "Steps between checkpoints (and gan.pt)")->check(CLI::Range(1, 100000000))->capture_default_str();
  tr->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  tr->add_option("--threads", o->threads, "Torch threads (0: all cores)")->capture_default_str();
  tr->add_flag("--resume", o->resume, "Continue from OUT/checkpoint.pt");
  tr->callback([o] {
    const GanResult r = train_gan(*o, [&](int64_t step, double dl, double gl, double gp) {
      if (step % 10 == 0 || step == o->steps)
        std::fprintf(stderr, "step %6lld  critic loss %.4f  generator loss %.4f  gradient penalty %.4f\n",
                     static_cast<long long>(step), dl, gl, gp);
    });
    for (const auto& s : r.skipped) std::fprintf(stderr, "skipped (unreadable): %s\n", s.c_str());
    std::printf("model:  %s\ndata:   %lld slices of 16384 samples at 16 kHz\nsteps:  %lld in %.1f s\n", r.model_path.c_str(),
                static_cast<long long>(r.slices), static_cast<long long>(r.steps), r.seconds);
    if (!r.skipped.empty()) exit_status = 1;
  });

  auto model = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto per = std::make_shared<int64_t>(10);
  auto seed = std::make_shared<uint64_t>(1);
  auto picture = std::make_shared<std::string>();
  auto* sa = gan->add_subcommand("sample", "Write generated clips into OUT/<genre>/ (16-bit WAV, 16 kHz)");
  sa->add_option("-m,--model", *model, "GAN file (OUT/gan.pt of genre gan train)")->required();
  sa->add_option("-o,--out", *out, "Output folder")->required();
  sa->add_option("--per-genre", *per, "Clips per genre")->check(CLI::Range(1, 1000000))->capture_default_str();
  sa->add_option("--seed", *seed, "Random seed")->capture_default_str();
  sa->add_option("--picture", *picture, "Also draw one clip of each genre's log-mel spectrogram into this PNG");
  sa->callback([=] {
    const auto files = sample_gan(*model, *per, *out, *seed);
    std::printf("wrote %zu clips into %s\n", files.size(), out->c_str());
    if (!picture->empty()) {
      draw_samples(files, *picture);
      std::printf("wrote %s\n", picture->c_str());
    }
  });
}

}  // namespace genre::cli
