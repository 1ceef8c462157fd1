// genre gan train / sample: WaveGAN with WGAN-GP (genre/wavegan.h).
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "genre/audio.h"
#include "genre/runtime.h"
#include "genre/dataset.h"
#include "genre/files.h"
#include "genre/wavegan.h"

namespace fs = std::filesystem;

namespace genre {

namespace {

using Clock = std::chrono::steady_clock;

struct Gan {
  WaveGanGenerator g{nullptr};
  WaveGanDiscriminator d{nullptr};
};

// The real clips: slices_per_file slices of 16384 samples at 16 kHz from each file, evenly spaced
// (a shorter file is looped to fill one).
void load_slices(const Dataset& ds, const GanOptions& o, torch::Tensor& x, torch::Tensor& y, std::vector<std::string>& skipped) {
  std::vector<float> data;
  std::vector<int64_t> labels;
  for (const auto& item : ds.items) {
    Audio a;
    try {
      a = load_audio(item.path, kWaveGanRate);
    } catch (const std::exception& e) {
      skipped.push_back(error_naming(item.path, e));
      continue;
    }
    if (a.samples.empty()) {
      skipped.push_back(item.path + ": no audio");
      continue;
    }
    const size_t n = size_t(kWaveGanSamples), len = a.samples.size();
    const int64_t k = len <= n ? 1 : o.slices_per_file;
    for (int64_t s = 0; s < k; ++s) {
      const size_t start = len <= n ? 0 : size_t(s) * (len - n) / size_t(std::max<int64_t>(1, k - 1));
      std::vector<float> slice(a.samples.begin() + long(start), a.samples.begin() + long(std::min(len, start + n)));
      const size_t valid = slice.size();
      slice.resize(n);
      loop_to_fill(slice, valid);
      data.insert(data.end(), slice.begin(), slice.end());
      labels.push_back(ds.label_index(item.label));
    }
  }
  if (labels.empty()) throw std::runtime_error("gan train: no readable audio in " + o.data);
  x = torch::from_blob(data.data(), {int64_t(labels.size()), 1, kWaveGanSamples}, torch::kFloat32).clone();
  y = torch::tensor(labels, torch::kInt64);
}

torch::Tensor gradient_penalty(WaveGanDiscriminator& d, const torch::Tensor& real, const torch::Tensor& fake,
                               const torch::Tensor& labels) {
  const torch::Tensor eps = torch::rand({real.size(0), 1, 1});
  const torch::Tensor mixed = (eps * real + (1 - eps) * fake).requires_grad_(true);
  const torch::Tensor score = d(mixed, labels);
  const torch::Tensor grad = torch::autograd::grad({score.sum()}, {mixed}, {}, true, true)[0];
  return (grad.flatten(1).norm(2, 1) - 1).pow(2).mean();
}

void save_generator(const std::string& path, WaveGanGenerator& g, const std::vector<std::string>& labels) {
  torch::serialize::OutputArchive a;
  g->save(a);
  a.write("labels", c10::IValue(nlohmann::json(labels).dump()));  // a JSON list of strings
  a.write("size", torch::tensor({g->d, g->latent, g->n_classes}, torch::kInt64));
  const std::string tmp = path + ".tmp";
  a.save_to(tmp);
  fs::rename(tmp, path);
}

}  // namespace

GanResult train_gan(const GanOptions& o, const std::function<void(int64_t, double, double, double)>& log) {
  if (o.out.empty()) throw std::invalid_argument("gan train: an output folder is required");
  if (o.model_size < 1 || o.latent < 1 || o.batch_size < 2 || o.steps < 1 || o.critic_steps < 1 || o.slices_per_file < 1)
    throw std::invalid_argument("gan train: sizes and step counts must be positive (batch at least 2)");
  const auto t0 = Clock::now();
  at::set_num_threads(o.threads > 0 ? o.threads : int(cores()));
  torch::manual_seed(o.seed);
  fs::create_directories(o.out);
  const Dataset ds = load_dataset(o.data, SourceKind::Audio);
  if (ds.labels.size() < 2) throw std::invalid_argument("gan train: " + o.data + " needs at least two genre folders");
  GanResult r;
  torch::Tensor real, labels;
  load_slices(ds, o, real, labels, r.skipped);
  r.slices = real.size(0);
  const int64_t classes = int64_t(ds.labels.size());
  WaveGanGenerator g(o.model_size, o.latent, classes);
  WaveGanDiscriminator d(o.model_size, classes);
  torch::optim::Adam opt_g(g->parameters(), torch::optim::AdamOptions(o.lr).betas({0.5, 0.9}));
  torch::optim::Adam opt_d(d->parameters(), torch::optim::AdamOptions(o.lr).betas({0.5, 0.9}));
  const std::string checkpoint = (fs::path(o.out) / "checkpoint.pt").string();
  int64_t step = 0;
  if (o.resume) {
    if (!fs::exists(checkpoint)) throw std::runtime_error(checkpoint + ": no checkpoint to resume from");
    torch::serialize::InputArchive in;
    in.load_from(checkpoint);
    torch::serialize::InputArchive a;
    for (auto [name, module] : {std::pair<const char*, torch::nn::Module*>{"generator", g.get()}, {"discriminator", d.get()}}) {
      in.read(name, a);
      module->load(a);
    }
    in.read("opt_g", a);
    opt_g.load(a);
    in.read("opt_d", a);
    opt_d.load(a);
    torch::Tensor s;
    in.read("step", s);
    step = s.item<int64_t>();
    torch::manual_seed(o.seed + uint64_t(step));  // a resumed run draws other batches than an unbroken one
  }
  std::ofstream csv((fs::path(o.out) / "log.csv").string(), o.resume ? std::ios::app : std::ios::trunc);
  if (!o.resume) csv << "step,d_loss,g_loss,gradient_penalty,seconds\n";
  auto batch = [&](torch::Tensor& x, torch::Tensor& y) {
    const torch::Tensor idx = torch::randint(real.size(0), {o.batch_size}, torch::kInt64);
    x = real.index_select(0, idx);
    y = labels.index_select(0, idx);
  };
  auto write_checkpoint = [&] {
    torch::serialize::OutputArchive out, ga, da, oga, oda;
    g->save(ga);
    d->save(da);
    opt_g.save(oga);
    opt_d.save(oda);
    out.write("generator", ga);
    out.write("discriminator", da);
    out.write("opt_g", oga);
    out.write("opt_d", oda);
    out.write("step", torch::tensor(step, torch::kInt64));
    out.save_to(checkpoint + ".tmp");
    fs::rename(checkpoint + ".tmp", checkpoint);
    save_generator((fs::path(o.out) / "gan.pt").string(), g, ds.labels);
  };
  g->train();
  d->train();
  while (step < o.steps) {
    double d_loss = 0, gp_sum = 0;
    torch::Tensor x, y;
    for (int64_t c = 0; c < o.critic_steps; ++c) {
      batch(x, y);
      torch::Tensor fake;
      {
        torch::NoGradGuard ng;
        fake = g(torch::randn({o.batch_size, o.latent}), y);
      }
      const torch::Tensor gp = gradient_penalty(d, x, fake, y);
      const torch::Tensor loss = d(fake, y).mean() - d(x, y).mean() + o.gradient_penalty * gp;
      opt_d.zero_grad();
      loss.backward();
      opt_d.step();
      d_loss += loss.item<double>() / double(o.critic_steps);
      gp_sum += gp.item<double>() / double(o.critic_steps);
    }
    batch(x, y);  // labels drawn as the real clips' are
    for (auto& p : d->parameters()) p.set_requires_grad(false);
    const torch::Tensor g_loss = -d(g(torch::randn({o.batch_size, o.latent}), y), y).mean();
    opt_g.zero_grad();
    g_loss.backward();
    opt_g.step();
    for (auto& p : d->parameters()) p.set_requires_grad(true);
    ++step;
    if (!std::isfinite(d_loss) || !std::isfinite(g_loss.item<double>()))
      throw std::runtime_error("gan train: the losses diverged at step " + std::to_string(step) + " (try a lower --lr)");
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    csv << step << ',' << d_loss << ',' << g_loss.item<double>() << ',' << gp_sum << ',' << secs << '\n';
    if (log) log(step, d_loss, g_loss.item<double>(), gp_sum);
    if (step % o.checkpoint_every == 0 || step == o.steps) {
      csv.flush();
      write_checkpoint();
    }
  }
  r.model_path = (fs::path(o.out) / "gan.pt").string();
  r.steps = step;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

std::vector<std::string> sample_gan(const std::string& model, int64_t per_genre, const std::string& dir, uint64_t seed) {
  if (per_genre < 1) throw std::invalid_argument("gan sample: --per-genre must be positive");
  torch::serialize::InputArchive a;
  try {
    a.load_from(model);
  } catch (const std::exception& e) {
    throw std::runtime_error(model + ": not a genre GAN file (genre gan train writes OUT/gan.pt)");
  }
  torch::Tensor size;
  c10::IValue names;
  try {
    a.read("size", size);
    a.read("labels", names);
  } catch (const std::exception&) {
    throw std::runtime_error(model + ": not a genre GAN file (no size or labels)");
  }
  std::vector<std::string> labels;
  try {
    labels = nlohmann::json::parse(names.toStringRef()).get<std::vector<std::string>>();
  } catch (const std::exception&) {
    throw std::runtime_error(model + ": damaged GAN file (its labels are not a JSON list of names)");
  }
  for (const auto& l : labels)  // each names a folder that sampling writes into
    if (l.empty() || l == "." || l == ".." || l.find_first_of("/\\") != std::string::npos)
      throw std::runtime_error(model + ": damaged GAN file (label '" + l + "' is not a folder name)");
  if (size.numel() != 3 || int64_t(labels.size()) != size[2].item<int64_t>())
    throw std::runtime_error(model + ": damaged GAN file (its labels do not match its size)");
  WaveGanGenerator g(size[0].item<int64_t>(), size[1].item<int64_t>(), size[2].item<int64_t>());
  g->load(a);
  g->eval();
  torch::manual_seed(seed);
  torch::NoGradGuard ng;
  std::vector<std::string> written;
  for (size_t k = 0; k < labels.size(); ++k) {
    const fs::path folder = fs::path(dir) / labels[k];
    fs::create_directories(folder);
    for (int64_t i = 0; i < per_genre; i += 32) {
      const int64_t n = std::min<int64_t>(32, per_genre - i);
      const torch::Tensor y = torch::full({n}, int64_t(k), torch::kInt64);
      const torch::Tensor audio = g(torch::randn({n, g->latent}), y).contiguous();
      for (int64_t j = 0; j < n; ++j) {
        char name[64];
        std::snprintf(name, sizeof name, "gan.%s.%05lld.wav", labels[k].c_str(), static_cast<long long>(i + j));
        const float* p = audio[j].data_ptr<float>();
        const std::string path = (folder / name).string();
        write_wav(path, std::vector<float>(p, p + kWaveGanSamples), kWaveGanRate);
        written.push_back(path);
      }
    }
  }
  return written;
}

}  // namespace genre
