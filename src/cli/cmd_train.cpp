// genre train / genre augment-preview.
#include <CLI/CLI.hpp>


#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "commands.h"
#include "genre/augment.h"
#include "genre/distributed.h"
#include "genre/launch.h"
#include "genre/torch_model.h"
#include "genre/plot.h"
#include "genre/train.h"
#include "progress.h"

namespace genre::cli {
namespace {

// Progress bars for loading and batches, and one line per epoch.
class CliObserver : public TrainObserver {
 public:
  void message(const std::string& m) override { bar_ ? bar_->message(m) : void(std::fprintf(stderr, "%s\n", m.c_str())); }
  void loading(size_t done, size_t total, const std::string& part) override {
    if (part != part_ || !bar_) {
      part_ = part;
      bar_ = std::make_unique<Progress>(total, part + " files");
    }
    bar_->set(done);
    if (done == total) bar_.reset();
  }
  void batch(int epoch, size_t b, size_t batches, double loss, double acc) override {
    if (!bar_ || epoch != epoch_) {
      epoch_ = epoch;
      bar_ = std::make_unique<Progress>(batches, "batches");
    }
    char s[96];
    std::snprintf(s, sizeof s, "  epoch %d  loss %.4f  acc %.3f", epoch, loss, acc);
    bar_->set_suffix(s);
    bar_->set(b);
  }
  void epoch(const EpochStats& e) override {
    bar_.reset();
    if (e.has_valid)
      std::fprintf(stderr,
                   "epoch %3d  train loss %.4f acc %.3f | valid loss %.4f acc %.3f clip acc %.3f AUROC %.3f | lr %.2g  %.1f s\n",
                   e.epoch, e.train_loss, e.train_acc, e.valid_loss, e.valid_acc, e.valid_clip_acc, e.valid_auroc, e.lr,
                   e.seconds);
    else
      std::fprintf(stderr, "epoch %3d  train loss %.4f acc %.3f | lr %.2g  %.1f s\n", e.epoch, e.train_loss, e.train_acc,
                   e.lr, e.seconds);
  }

 private:
  std::unique_ptr<Progress> bar_;
  std::string part_;
  int epoch_ = 0;
};

void add_frontend_options(CLI::App* cmd, FrontEndParams& p) {
  cmd->add_option("--chunk", p.chunk_seconds, "Chunk length in seconds")->capture_default_str();
  cmd->add_option("--chunk-hop", p.chunk_hop, "Seconds between chunk starts")->capture_default_str();
  cmd->add_flag("--trim-silence", p.trim_silence, "Trim leading and trailing silence before chunking (use with --chunk 1)");
  cmd->add_option("--n-mels", p.n_mels, "Mel bands")->capture_default_str();
  cmd->add_option("--n-mfcc", p.n_mfcc, "MFCCs (mfcc input)")->capture_default_str();
  cmd->add_option("--n-fft", p.n_fft, "FFT size of the mel front end")->capture_default_str();
  cmd->add_option("--hop-length", p.hop_length, "Hop length in samples")->capture_default_str();
  cmd->add_option("--sr", p.sample_rate, "Sample rate the audio is resampled to")->capture_default_str();
}

void run_train(TrainOptions o, int nproc, double dist_timeout) {
  const DistributedEnv env = distributed_env();
  if (nproc > 1 && env.world_size == 1) {
    exit_status = spawn_local_ranks(nproc);
    return;
  }
  // Progress and log lines come from rank 0; the other ranks speak only to fail.
  const auto sync = join_process_group(env, std::chrono::milliseconds(int64_t(dist_timeout * 1000)));
  // A rank relaunched by torchrun (--max_restarts) takes the run up from the last checkpoint.
  if (env.restart_count > 0) o.resume_if_present = true;
  CliObserver obs;
  TrainObserver quiet;
  TrainResult r = train(o, env.rank == 0 ? static_cast<TrainObserver*>(&obs) : &quiet, sync.get());
  if (env.rank != 0) return;
  std::printf("model:       %s\n", r.model_path.c_str());
  std::printf("data:        %zu training clips (%zu chunks), %zu validation clips (%zu chunks); split %s\n", r.train_clips,
              r.train_chunks, r.valid_clips, r.valid_chunks, o.split.c_str());
  if (o.model == "xgboost")
    std::printf("trees:       %lld boosting rounds kept\n", static_cast<long long>(r.parameters));
  else
    std::printf("parameters:  %lld trainable\n", static_cast<long long>(r.parameters));
  // With --resume, the run's time covers only the epochs it trained; the mean is over all of them.
  std::printf("time:        %.1f s this run, %.1f s per epoch, %zu epochs, best epoch %d\n", r.seconds,
              r.seconds_per_epoch, r.history.size(), r.best_epoch);
  if (sync) {
    const GradientSync::Stats st = sync->stats();
    if (st.steps > 0)
      std::printf("all-reduce:  %d ranks, %.2f MB of gradients per step in %.1f calls; %.2f ms per step with the wait for "
                  "the slowest rank (%zu steps), %.2f ms in the fastest step\n",
                  env.world_size, double(st.bytes) / double(st.steps) / 1e6, double(st.calls) / double(st.steps),
                  1e3 * st.seconds / double(st.steps), st.steps, 1e3 * st.min_seconds);
  }
  if (r.valid_clip.n > 0 && o.refit)
    std::printf("validation:  (of the early-stopping run; model.genre has also trained on these songs)\n");
  if (r.valid_clip.n > 0)
    std::printf("validation:  clip accuracy %.3f, top-2 %.3f, macro AUROC %.3f; chunk accuracy %.3f\n", r.valid_clip.accuracy,
                r.valid_clip.top2_accuracy, r.valid_clip.macro_auroc, r.valid_chunk.accuracy);
  if (!r.skipped.empty()) {
    std::fprintf(stderr, "genre: %zu unreadable files were skipped\n", r.skipped.size());
    exit_status = 1;
  }
}

// genre augment-preview: the first chunk of a file and each augmentation of it, side by side.
void run_preview(const std::string& file, const std::string& out, std::string augments, uint64_t seed) {
  FrontEndParams p;
  const FrontEnd fe(p);
  Audio audio = load_audio(file, p.sample_rate);
  ClipFeatures f = fe.clip(audio.samples);
  if (f.count == 0) throw std::runtime_error(file + ": no audio");
  const Shape sh = f.shape;
  const size_t n = size_t(sh.size());
  std::vector<float> original(f.chunk(0), f.chunk(0) + n);
  float mean = 0;
  for (float v : original) mean += v / float(n);
  AugmentContext ctx{p.input, sh, {mean}, {20.f}, p.n_mels};
  if (augments.empty()) augments = "specaugment,pitch,stretch,noise,gain,mixup";
  std::vector<std::pair<std::string, std::vector<float>>> panels = {{"original", original}};
  std::mt19937_64 rng(seed);
  for (Augment a : parse_augments(augments)) {
    std::vector<float> x = original;
    if (a == Augment::Mixup) {
      // Blend with the file's middle chunk, as mixup blends two examples of a batch.
      const float* other = f.chunk(f.count / 2);
      for (size_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] + 0.5f * other[i];
    } else {
      augment_example(a, x.data(), ctx, rng);
    }
    panels.push_back({augment_name(a), x});
  }
  float lo = original[0], hi = original[0];
  for (float v : original) lo = std::min(lo, v), hi = std::max(hi, v);
  const int scale = 2, cols = 3, pad = 12, title_h = 22;
  const int pw = int(sh.w) * scale, ph = int(sh.h) * scale;
  const int rows = int((panels.size() + cols - 1) / cols);
  Canvas cv(cols * (pw + pad) + pad, rows * (ph + pad + title_h) + pad + 24, {255, 255, 255});
  cv.text(pad, 6, std::filesystem::path(file).filename().string() + " - first 4 s, log-mel (128 bands)", {30, 30, 30});
  for (size_t i = 0; i < panels.size(); ++i) {
    const int x0 = pad + int(i % cols) * (pw + pad), y0 = 24 + pad + int(i / cols) * (ph + pad + title_h);
    cv.text(x0, y0, panels[i].first, {30, 30, 30}, 2);
    cv.paste(x0, y0 + title_h, spectrogram_image(panels[i].second.data(), int(sh.h), int(sh.w), lo, hi, scale));
  }
  write_png(out, cv.image());
  std::printf("wrote %s (%zu panels)\n", out.c_str(), panels.size());
}

}  // namespace

void register_train(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  auto* cmd = app.add_subcommand("train", "Train a model on a folder-per-genre collection, images or a features table");
  cmd->add_option("-d,--data", o->data, "Dataset: a folder of label sub-folders, or a features .csv")->required();
  cmd->add_option("-m,--model", o->model, "Architecture (see genre models)")->capture_default_str();
  cmd->add_option("-o,--out", o->out, "Output folder: model.genre, log.csv, curves.png, checkpoint.pt")->required();
  cmd->add_option("--input", o->input, "Front end: mel, stft, mfcc, dual, image, table (default: the model's own)");
  cmd->add_option("--split", o->split,
                  "stratified:80/10/10, stratified:70/20/10, fault-filtered, kfold:5[:FOLD], or a list file/folder")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed (split, shuffling, initialisation, augmentation)")->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "Maximum epochs")->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "Batch size")->capture_default_str();
  cmd->add_option("--optimizer", o->optimizer, "adam, rmsprop or sgd (with momentum)")
      ->check(CLI::IsMember({"adam", "rmsprop", "sgd"}))
      ->capture_default_str();
  cmd->add_option("--lr", o->lr, "Learning rate")->capture_default_str();
  cmd->add_option("--weight-decay", o->weight_decay, "Weight decay")->capture_default_str();
  cmd->add_option("--momentum", o->momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--schedule", o->schedule, "Learning-rate schedule: none, step (x0.5 every 10 epochs), cosine, plateau")
      ->check(CLI::IsMember({"none", "step", "cosine", "plateau"}))
      ->capture_default_str();
  cmd->add_option("--patience", o->patience, "Early stopping: epochs without a better validation loss")->capture_default_str();
  cmd->add_option("--augment", o->augment, "Comma list: specaugment, pitch, stretch, noise, gain, mixup");
  cmd->add_option("--dropout", o->dropout, "Dropout rate")->capture_default_str();
  cmd->add_option("--bandlimit-copies", o->bandlimit_copies,
                  "Audio: each training file again, band-limited to HZ (e.g. 4000 as at 8 kHz), so that bandwidth is no genre cue")
      ->delimiter(',')
      ->check(CLI::Range(500.0, 96000.0));
  cmd->add_option("--bandlimit-weight", o->bandlimit_weight,
                  "Loss weight of each --bandlimit-copies example (an original weighs 1)")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
  cmd->add_option("--crop-copies", o->crop_copies,
                  "Audio: each training clip of at least twice --crop-seconds again as N short crops, one from each Nth of it")
      ->check(CLI::Range(0, 16));
  cmd->add_option("--crop-seconds", o->crop_seconds, "Length of --crop-copies' crops")->check(CLI::Range(0.5, 600.0))->capture_default_str();
  cmd->add_flag("--bandlimit-crops", o->bandlimit_crops,
                "Each --crop-copies crop again band-limited to each --bandlimit-copies HZ (at --bandlimit-weight)");
  cmd->add_flag("--balanced", o->balanced, "Weight the loss by inverse class frequency (lda: uniform priors)");
  cmd->add_option_function<std::string>(
         "--shrinkage",
         [o](const std::string& v) {
           if (v == "auto") {
             o->shrinkage = -1;
             return;
           }
           size_t used = 0;
           double a = -1;
           try {
             a = std::stod(v, &used);
           } catch (const std::exception&) {
           }
           if (used != v.size() || !(a >= 0 && a <= 1))
             throw CLI::ValidationError("--shrinkage", "'" + v + "' is neither auto nor a number from 0 to 1");
           o->shrinkage = a;
         },
         "--model lda: covariance shrinkage, 0 to 1, or auto (Ledoit-Wolf)")
      ->default_str("auto");
  cmd->add_option("--threads", o->threads, "Torch threads (0: all cores)")->capture_default_str();
  cmd->add_option("-j,--jobs", o->jobs, "Feature extraction threads (0: all cores)")->capture_default_str();
  cmd->add_option("--cache", o->cache_dir, "Feature cache folder ('none' to disable; default ~/.cache/genre)");
  cmd->add_flag("--refit", o->refit,
                "Early-stop on the valid part (OUT/early-stopping), then train afresh on train + valid for the best "
                "epoch count (OUT/model.genre: only the test part held out)");
  cmd->add_flag("--resume", o->resume, "Continue from OUT/checkpoint.pt (rank 0's, sent to the other ranks)");
  cmd->add_option("--accumulate", o->accumulate,
                  "Micro-batches of --batch-size whose gradients make one optimizer step (a K times larger batch)")
      ->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--backbone", o->backbone,
                  "Pretrained backbone: a tagger NAME (msd-fcn, msd-crnn, jamendo-musicnn, ...; $GENRE_WEIGHTS_DIR) or model "
                  "file; a comma list concatenates their embeddings. The model is then a head (logreg, mlp) on the "
                  "frozen backbone's cached embeddings");
  cmd->add_option("--augment-with", o->augment_with,
                  "A folder per genre of extra clips (genre gan sample's output) added to the training part only");
  cmd->add_option("--pretrained", o->pretrained,
                  "Start the model from pretrained weights: an ImageNet folder's weights.safetensors (mobilenet-v1-0.25, "
                  "mobilenet-v2-0.35, squeezenet-1.1), a torchvision checkpoint converted by scripts/pth_to_safetensors.py, "
                  "or a model file of the same architecture");
  auto* freeze = cmd->add_option("--freeze", o->freeze,
                                 "'backbone' (the default value): train the classifier alone; N: freeze the first N layers "
                                 "with parameters. With --backbone the backbones are always frozen unless --finetune")
                     ->expected(0, 1);
  cmd->add_flag("--finetune", o->finetune,
                "With --backbone: train the head on frozen embeddings (OUT/linear-probe), then backbones and head end to end")
      ->excludes(freeze);
  cmd->add_option("--finetune-epochs", o->finetune_epochs, "With --finetune: epochs end to end")->check(CLI::Range(1, 10000))->capture_default_str();
  cmd->add_option("--finetune-lr", o->finetune_lr, "With --finetune: the head's learning rate end to end")->capture_default_str();
  cmd->add_option("--backbone-lr-scale", o->backbone_lr_scale, "With --finetune or --pretrained: the pretrained layers' learning rate as a fraction of the head's")
      ->check(CLI::Range(0.0, 10.0))->capture_default_str();
  cmd->add_option("--finetune-batch-size", o->finetune_batch_size, "With --finetune: 29 s windows per batch end to end")
      ->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--backbone-hop", o->backbone_hop, "With --backbone: seconds between its 29 s windows")->capture_default_str();
  add_frontend_options(cmd, o->frontend);
  auto nproc = std::make_shared<int>(1);
  auto dist_timeout = std::make_shared<double>(300);
  cmd->add_option("--nproc", *nproc, "Data-parallel ranks to start on this machine (the same as torchrun --nproc_per_node N)")
      ->check(CLI::Range(1, 256))->capture_default_str();
  cmd->add_option("--dist-timeout", *dist_timeout,
                  "Seconds a rank waits for the others in a collective before failing (a rank that died)")
      ->check(CLI::Range(1.0, 86400.0))->capture_default_str();
  cmd->callback([o, nproc, dist_timeout, freeze] {
    if (freeze->count() > 0 && o->freeze.empty()) o->freeze = "backbone";  // --freeze without a value
    run_train(*o, *nproc, *dist_timeout);
  });

  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>("augment-preview.png");
  auto list = std::make_shared<std::string>();
  auto seed = std::make_shared<uint64_t>(1);
  auto* prev = app.add_subcommand("augment-preview", "Draw a clip's log-mel spectrogram and its augmented versions");
  prev->add_option("file", *file, "Audio file")->required();
  prev->add_option("-o,--out", *out, "PNG to write")->capture_default_str();
  prev->add_option("--augment", *list, "Comma list (default: all)");
  prev->add_option("--seed", *seed, "Random seed")->capture_default_str();
  prev->callback([=] { run_preview(*file, *out, *list, *seed); });
}

}  // namespace genre::cli
