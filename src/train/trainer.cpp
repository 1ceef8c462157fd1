#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <random>
#include <thread>

#include "genre/augment.h"
#include "genre/runtime.h"
#include "genre/atomic_file.h"
#include "genre/dataset.h"
#include "genre/evaluate.h"
#include "genre/examples.h"
#include "genre/feature_cache.h"
#include "genre/gtzan_features.h"
#include "genre/lda.h"
#include "genre/xgboost_model.h"
#include "genre/torch_model.h"
#include "genre/plot.h"
#include "genre/splits.h"
#include "genre/train.h"
#include "genre/pretrained.h"
#include "genre/warm_start.h"

namespace fs = std::filesystem;

namespace genre {

torch::Tensor weighted_cross_entropy(const torch::Tensor& logits, const torch::Tensor& y, const torch::Tensor& example_weight,
                                     const torch::Tensor& class_weight) {
  namespace F = torch::nn::functional;
  torch::Tensor w = class_weight.defined() ? example_weight * class_weight.index_select(0, y) : example_weight;
  const torch::Tensor l = F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  return (w * l).sum() / w.sum();
}

SourceKind source_kind(InputKind input, const std::string& data) {
  if (input == InputKind::Image) return SourceKind::Image;
  if (fs::is_regular_file(data) && fs::path(data).extension() == ".csv") return SourceKind::Table;
  return SourceKind::Audio;  // table input on audio: the 57 features of each 30 s window
}

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// One parameter group per entry of `groups` (their learning rates are set by set_lr).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainOptions& o, std::vector<std::vector<torch::Tensor>> groups) {
  std::vector<torch::optim::OptimizerParamGroup> g;
  for (auto& params : groups) g.emplace_back(params);
  if (o.optimizer == "adam")
    return std::make_unique<torch::optim::Adam>(g, torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  if (o.optimizer == "rmsprop")
    return std::make_unique<torch::optim::RMSprop>(g, torch::optim::RMSpropOptions(o.lr).weight_decay(o.weight_decay));
  if (o.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(g, torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
  throw std::invalid_argument("unknown optimizer '" + o.optimizer + "' (adam, rmsprop, sgd)");
}

// Every parameter group's learning rate: lr x the group's scale (1 when not given).
void set_lr(torch::optim::Optimizer& opt, double lr, const std::vector<double>& scales = {}) {
  auto& groups = opt.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(lr * (i < scales.size() ? scales[i] : 1.0));
}

// Per-channel mean and standard deviation of the training examples (in double).
std::pair<std::vector<float>, std::vector<float>> channel_stats(const ExampleSet& s) {
  const int64_t C = s.shape.c, n = s.shape.h * s.shape.w;
  std::vector<double> sum(size_t(C), 0), sq(size_t(C), 0);
  for (size_t i = 0; i < s.count(); ++i) {
    const float* x = s.example(i);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t j = 0; j < n; ++j) {
        const double v = x[c * n + j];
        sum[size_t(c)] += v;
        sq[size_t(c)] += v * v;
      }
  }
  std::vector<float> mean(static_cast<size_t>(C)), sd(static_cast<size_t>(C));
  const double count = double(s.count()) * double(n);
  for (size_t c = 0; c < size_t(C); ++c) {
    mean[c] = float(sum[c] / count);
    sd[c] = float(std::sqrt(std::max(0.0, sq[c] / count - (sum[c] / count) * (sum[c] / count))));
    if (!(sd[c] > 0)) sd[c] = 1.f;
  }
  return {mean, sd};
}

// A Beta(a, a) draw from two Gamma draws.
double beta_draw(std::mt19937_64& rng, double a) {
  std::gamma_distribution<double> g(a, 1.0);
  const double x = g(rng), y = g(rng);
  return x + y > 0 ? x / (x + y) : 0.5;
}

void write_log(const std::string& path, const std::vector<EpochStats>& history) {
  AtomicFile file(path);
  std::ofstream& f = file.stream();
  f << "epoch,train_loss,train_acc,valid_loss,valid_acc,valid_clip_acc,valid_macro_auroc,lr,seconds\n";
  for (const auto& h : history) {
    f << h.epoch << ',' << h.train_loss << ',' << h.train_acc << ',';
    if (h.has_valid) f << h.valid_loss << ',' << h.valid_acc << ',' << h.valid_clip_acc << ',' << h.valid_auroc;
    else f << ",,,";
    f << ',' << h.lr << ',' << h.seconds << '\n';
  }
  file.commit();
}

void write_curves(const std::string& path, const std::vector<EpochStats>& history) {
  Series tl{"train", {}, {31, 119, 180}}, vl{"valid", {}, {255, 127, 14}};
  Series ta{"train", {}, {31, 119, 180}}, va{"valid chunks", {}, {255, 127, 14}}, vc{"valid clips", {}, {44, 160, 44}};
  for (const auto& h : history) {
    tl.y.push_back(h.train_loss);
    ta.y.push_back(h.train_acc);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    vl.y.push_back(h.has_valid ? h.valid_loss : nan);
    va.y.push_back(h.has_valid ? h.valid_acc : nan);
    vc.y.push_back(h.has_valid ? h.valid_clip_acc : nan);
  }
  write_png(path, line_charts({{"loss", {tl, vl}}, {"accuracy", {ta, va, vc}}}, "epoch"));
}

nlohmann::json history_json(const std::vector<EpochStats>& history) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& h : history)
    j.push_back({{"epoch", h.epoch}, {"train_loss", h.train_loss}, {"train_acc", h.train_acc}, {"valid_loss", h.valid_loss},
                 {"valid_acc", h.valid_acc}, {"valid_clip_acc", h.valid_clip_acc}, {"valid_auroc", h.valid_auroc},
                 {"lr", h.lr}, {"seconds", h.seconds}, {"has_valid", h.has_valid}});
  return j;
}

std::string read_file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (!f.good() && !f.eof()) throw std::runtime_error(path + ": cannot read");
  return bytes;
}

std::vector<EpochStats> history_from_json(const nlohmann::json& j) {
  std::vector<EpochStats> out;
  for (const auto& e : j) {
    EpochStats h;
    h.epoch = e.at("epoch");
    h.train_loss = e.at("train_loss");
    h.train_acc = e.at("train_acc");
    h.valid_loss = e.at("valid_loss");
    h.valid_acc = e.at("valid_acc");
    h.valid_clip_acc = e.at("valid_clip_acc");
    h.valid_auroc = e.at("valid_auroc");
    h.lr = e.at("lr");
    h.seconds = e.at("seconds");
    h.has_valid = e.at("has_valid");
    out.push_back(h);
  }
  return out;
}

}  // namespace

namespace {
// One stage of a two-stage run (--refit, --finetune), in its own folder: it resumes when a resumed
// run finds its checkpoint there, and starts afresh otherwise.
TrainOptions stage_in(const TrainOptions& o, const std::string& dir) {
  TrainOptions s = o;
  s.out = dir;
  s.resume = false;
  s.resume_if_present = o.resume || o.resume_if_present;
  return s;
}

// --refit (TrainOptions::refit): the early-stopping run, then the same model afresh on train + valid
// for its best epoch count. The figures returned for the valid part are the early-stopping run's.
TrainResult train_and_refit(const TrainOptions& o, TrainObserver* observer, GradientSync* sync) {
  if (o.finetune || !o.finetune_from.empty()) throw std::invalid_argument("train: --refit and --finetune together are not supported");
  const std::string first_dir = (fs::path(o.out) / "early-stopping").string();
  TrainOptions first = stage_in(o, first_dir);
  first.refit = false;
  if (observer) observer->message("stage 1 of 2: early stopping on the valid part (" + first_dir + ")");
  const TrainResult r1 = train(first, observer, sync);
  if (r1.valid_clips == 0)
    throw std::invalid_argument("train: --refit needs a valid part, and the split '" + o.split + "' has none");
  TrainOptions again = stage_in(o, o.out);
  again.refit = false;
  again.valid_as_train = true;
  again.epochs = std::max(1, r1.best_epoch);
  if (observer)
    observer->message("stage 2 of 2: afresh on the train and valid parts for " + std::to_string(again.epochs) +
                      " epochs (the best epoch of stage 1)");
  TrainResult r2 = train(again, observer, sync);
  r2.valid_clip = r1.valid_clip;
  r2.valid_chunk = r1.valid_chunk;
  r2.best_epoch = r1.best_epoch;
  return r2;
}

// A band-routed head (band-logreg, band-mlp: src/models/band_routed.cpp) reads the `bandwidth`
// detector's flag as the embedding's last value (load_backbone puts the detector last). It is a head
// on embeddings (--backbone, or a transfer model to fine-tune), and its narrowband head learns from
// band-limited training copies, so they are required.
bool band_routed(const TrainOptions& o) {
  if (o.model.rfind("band-", 0) != 0) return false;
  if (o.backbone.empty() && o.finetune_from.empty())
    throw std::invalid_argument("train: --model " + o.model + " is a head on pretrained embeddings: it needs --backbone");
  bool narrow_copies = false;
  for (double hz : o.bandlimit_copies) narrow_copies |= hz <= BandwidthParams::from_hz;
  if (!narrow_copies)
    throw std::invalid_argument("train: --model " + o.model + " trains its narrowband head on band-limited copies: add --bandlimit-copies 4000");
  return true;
}

// Sets a linear head (the `classifier` layer of logreg's form) to the LDA fit of the training
// examples, standardised as the model standardises them.
std::vector<double> fit_lda_head(ClassifierImpl& net, const ExampleSet& train, const std::vector<float>& mean, const std::vector<float>& sd,
                  const LdaParams& p) {
  const size_t C = size_t(train.shape.c), per_channel = size_t(train.shape.h * train.shape.w), d = C * per_channel;
  std::vector<float> x(train.count() * d);
  for (size_t i = 0; i < train.count(); ++i)
    for (size_t j = 0; j < d; ++j) x[i * d + j] = (train.example(i)[j] - mean[j / per_channel]) / sd[j / per_channel];
  const LinearFit fit = fit_lda(x.data(), train.count(), d, train.label, size_t(net.config().n_classes), p);
  torch::NoGradGuard no_grad;
  auto params = net.named_parameters();
  params["classifier.weight"].copy_(torch::tensor(fit.coef, torch::kFloat64).reshape({int64_t(fit.classes), int64_t(d)}));
  params["classifier.bias"].copy_(torch::tensor(fit.intercept, torch::kFloat64));
  return fit.shrinkage;
}

// The summed cross-entropy and the number right over a set of examples (evaluation mode).
std::pair<double, double> loss_and_correct(ClassifierImpl& net, const ExampleSet& s) {
  torch::NoGradGuard no_grad;
  net.eval();
  double loss = 0, correct = 0;
  const int64_t step = 256;
  for (int64_t first = 0; first < int64_t(s.count()); first += step) {
    const int64_t n = std::min(step, int64_t(s.count()) - first);
    const torch::Tensor x = torch::from_blob(const_cast<float*>(s.example(size_t(first))), {n, s.shape.c, s.shape.h, s.shape.w});
    const torch::Tensor y = torch::tensor(std::vector<int64_t>(s.label.begin() + first, s.label.begin() + first + n));
    const torch::Tensor logits = net.forward(x);
    loss += torch::nn::functional::cross_entropy(logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
    correct += logits.argmax(1).eq(y).sum().item<double>();
  }
  return {loss, correct};
}

// --model lda: a linear head fitted in closed form (genre/lda.h) on the training examples as they
// are, in one step that takes the place of the epochs. What only gradient training has is refused.
bool lda_head(const TrainOptions& o) {
  if (o.model != "lda") {
    if (o.shrinkage >= 0) throw std::invalid_argument("train: --shrinkage is for --model lda, not " + o.model);
    return false;
  }
  const auto refuse = [](const std::string& what) {
    throw std::invalid_argument("train: --model lda is fitted in closed form, so " + what);
  };
  if (!o.augment.empty()) refuse("it takes no --augment (its examples are used as they are)");
  if (o.bandlimit_weight != 1.0) refuse("every example weighs 1 (no --bandlimit-weight)");
  if (o.finetune || !o.finetune_from.empty()) refuse("it is no start for --finetune (use logreg)");
  if (!o.pretrained.empty()) refuse("it takes no --pretrained weights");
  return true;
}
}  // namespace

TrainResult train(const TrainOptions& o, TrainObserver* observer, GradientSync* sync) {
  if (o.refit) return train_and_refit(o, observer, sync);
  const bool bandwidth_last = band_routed(o);
  const bool closed_form = lda_head(o);
  if (o.finetune && o.backbone.empty()) throw std::invalid_argument("train: --finetune needs --backbone");
  if (!o.backbone.empty() && !o.pretrained.empty())
    throw std::invalid_argument("train: --pretrained starts a zoo model from weights; --backbone trains a head on a tagger's embeddings: not both");
  if (!o.backbone.empty() && !o.freeze.empty() && o.freeze != "backbone")
    throw std::invalid_argument("train: with --backbone the backbone is frozen whole (--freeze " + o.freeze + ")");
  if (!o.backbone.empty() && o.finetune) {
    // Stage 1, a linear probe: the head on the frozen, cached embeddings (skipped when resuming a
    // stage 2 that has begun). Stage 2: everything end to end, from the probe's model.
    const std::string probe_dir = (fs::path(o.out) / "linear-probe").string();
    const bool stage2_started = o.resume && fs::exists(fs::path(o.out) / "checkpoint.pt");
    if (!stage2_started) {
      TrainOptions probe = stage_in(o, probe_dir);
      probe.finetune = false;
      if (observer) observer->message("stage 1 of 2: the head on frozen embeddings (" + probe_dir + ")");
      train(probe, observer, sync);
    }
    TrainOptions ft = o;
    ft.backbone.clear();
    ft.finetune = false;
    ft.finetune_from = (fs::path(probe_dir) / "model.genre").string();
    ft.epochs = o.finetune_epochs;
    ft.lr = o.finetune_lr;
    ft.batch_size = o.finetune_batch_size;
    if (observer) observer->message("stage 2 of 2: backbones and head end to end (backbones at lr x " +
                                    std::to_string(o.backbone_lr_scale) + ")");
    return train(ft, observer, sync);
  }
  TrainObserver quiet;
  GradientSync single;
  TrainObserver& obs = observer ? *observer : quiet;
  GradientSync& grad_sync = sync ? *sync : single;
  // Data-parallel ranks (genre/distributed.h): the same model from the same seed on each, rank 0's
  // weights broadcast at start, each epoch's examples split like DistributedSampler, gradients
  // averaged, validation once on rank 0 (its figures broadcast), files written by rank 0 only.
  const int rank = grad_sync.rank(), world = grad_sync.world_size();
  const bool writer = rank == 0;
  const auto t_start = Clock::now();
  const size_t cores = genre::cores();
  const int threads = o.threads > 0 ? o.threads : int(cores);
  at::set_num_threads(threads);
  torch::manual_seed(o.seed);
  if (o.out.empty()) throw std::invalid_argument("train: an output folder is required");
  if (o.epochs < 1 || o.batch_size < 1) throw std::invalid_argument("train: epochs and batch size must be positive");
  if (o.accumulate < 1) throw std::invalid_argument("train: --accumulate must be at least 1");
  fs::create_directories(o.out);

  // Data: song-level split, features (cached), in memory.
  FrontEndParams fp = o.frontend;
  const bool trees = o.model == "xgboost";
  Classifier backbone;
  std::vector<std::string> backbone_archs;
  std::shared_ptr<const Embedder> embedder;
  if (!o.backbone.empty()) {
    if (trees) throw std::invalid_argument("train: --backbone takes a torch head (logreg, mlp), not xgboost");
    backbone = load_backbone(o.backbone, &backbone_archs, bandwidth_last);
    for (const auto& a : backbone_archs)
      if (is_essentia_arch(a))
        throw std::invalid_argument("train: --backbone " + o.backbone + ": Essentia's taggers are CC BY-NC-SA 4.0, for comparison "
                                    "only (genre embed, genre tag): a genre model made from them could not be shipped");
    fp = tagger_frontend(29.0, o.backbone_hop);
    embedder = backbone_embedder(backbone, backbone_key(backbone_archs, *backbone));
    std::string archs;
    for (const auto& a : backbone_archs) archs += (archs.empty() ? "" : ",") + a;
    obs.message("backbone: " + o.backbone + " (" + archs + ": " + std::to_string(backbone->embedding_size()) + "-d embedding, frozen)");
  }
  LoadedModel tuned;  // stage 2 of --finetune: the transfer model, trained end to end
  if (!o.finetune_from.empty()) {
    if (!o.backbone.empty()) throw std::invalid_argument("train: finetune_from and --backbone together");
    tuned = load_model(o.finetune_from);
    if (tuned.config.arch != "transfer") throw std::invalid_argument(o.finetune_from + ": not a transfer model to fine-tune");
    fp = tuned.frontend;
    fp.chunk_hop = o.backbone_hop;
  }
  const bool end_to_end = bool(tuned.net);
  fp.input = backbone || end_to_end ? InputKind::Mel : !o.input.empty() ? parse_input(o.input) : trees ? InputKind::Table : find_model(o.model).inputs.front();
  if (o.bandlimit_weight != 1.0 && o.bandlimit_copies.empty())
    throw std::invalid_argument("train: --bandlimit-weight weighs the --bandlimit-copies, and none are asked for");
  if (trees && o.bandlimit_weight != 1.0)
    throw std::invalid_argument("train: xgboost takes no --bandlimit-weight (its examples all weigh 1)");
  if (trees && world > 1) throw std::invalid_argument("train: xgboost trains on one process (unset WORLD_SIZE)");
  if (closed_form && world > 1) throw std::invalid_argument("train: lda is fitted on one process (unset WORLD_SIZE)");
  if (trees && fp.input != InputKind::Table)
    throw std::invalid_argument("train: xgboost takes feature rows: use a features .csv or --input table");
  if (!backbone && !end_to_end && source_kind(fp.input, o.data) == SourceKind::Table) {
    // A features table holds table rows whatever the model's usual input is.
    if (!o.input.empty() && fp.input != InputKind::Table)
      throw std::invalid_argument("train: " + o.data + " is a features table: its input is 'table', not '" + o.input + "'");
    fp.input = InputKind::Table;
  }
  if (!backbone && !end_to_end && fp.input == InputKind::Table && fp.chunk_seconds == FrontEndParams{}.chunk_seconds &&
      fp.chunk_hop == FrontEndParams{}.chunk_hop) {
    fp.chunk_seconds = 30;  // table rows describe 30 s clips: on audio, 30 s windows every 15 s
    fp.chunk_hop = 15;
  }
  const SourceKind kind = source_kind(fp.input, o.data);
  const Dataset ds = load_dataset(o.data, kind);
  if (ds.labels.size() < 2)
    throw std::invalid_argument("train: " + o.data + " has only one label (" + (ds.labels.empty() ? "" : ds.labels[0]) +
                                "): a classifier needs at least two");
  const SplitSpec spec = parse_split(o.split, o.seed);
  auto parts = assign_parts(ds, spec);
  if (o.valid_as_train)
    for (auto& p : parts)
      if (p == Part::Valid) p = Part::Train;
  const FeatureCache cache(o.cache_dir == "none" ? "" : o.cache_dir.empty() ? FeatureCache::default_dir() : o.cache_dir);
  const FrontEnd fe(fp, embedder);
  const size_t jobs = o.jobs ? o.jobs : cores;
  TrainResult result;
  LoadReport train_report, valid_report;
  // Training-only copies of the audio (--bandlimit-copies, --crop-copies): the training files again
  // through a front end that differs in one training-only parameter, so cached under their own key.
  // One load for the original and its copies: each training file is decoded once.
  // Each front end's loss weight: the originals and crops 1, the band-limited copies --bandlimit-weight.
  std::vector<FrontEnd> train_fes{fe};
  std::vector<float> fe_weight{1.f};
  auto add_copies = [&](const char* option, auto&& vary, size_t n, double weight) {
    if (n > 0 && kind != SourceKind::Audio)
      throw std::invalid_argument(std::string("train: ") + option + " takes audio, not images or a table");
    for (size_t k = 0; k < n; ++k) {
      FrontEndParams p = fp;
      vary(p, k);
      train_fes.emplace_back(p, embedder);
      fe_weight.push_back(float(weight));
    }
  };
  add_copies("--bandlimit-copies", [&](FrontEndParams& p, size_t k) { p.bandlimit_hz = o.bandlimit_copies[k]; },
             o.bandlimit_copies.size(), o.bandlimit_weight);
  const size_t crops = size_t(std::max(o.crop_copies, 0));
  const auto crop = [&](FrontEndParams& p, size_t k) {  // the middle of the k-th of `crops` stretches
    p.crop_seconds = o.crop_seconds;
    p.crop_at = (double(k) + 0.5) / double(crops);
  };
  add_copies("--crop-copies", crop, crops, 1.0);
  if (o.bandlimit_crops && (o.bandlimit_copies.empty() || crops == 0))
    throw std::invalid_argument("train: --bandlimit-crops band-limits the --crop-copies at the --bandlimit-copies: it needs both");
  add_copies("--bandlimit-crops", [&](FrontEndParams& p, size_t k) {
    crop(p, k % crops);
    p.bandlimit_hz = o.bandlimit_copies[k / crops];
  }, o.bandlimit_crops ? crops * o.bandlimit_copies.size() : 0, o.bandlimit_weight);
  std::vector<ExampleSet> train_sets =
      load_examples(ds, parts, Part::Train, train_fes, cache, jobs, &train_report,
                    [&](size_t d, size_t t) { obs.loading(d, t, train_fes.size() > 1 ? "train, with copies" : "train"); });
  ExampleSet train_set = std::move(train_sets[0]);
  std::vector<float> example_weight(train_set.count(), fe_weight[0]);  // per training example
  for (size_t j = 1; j < train_sets.size(); ++j) {
    append_examples(train_set, train_sets[j]);
    example_weight.resize(train_set.count(), fe_weight[j]);
  }
  train_sets.clear();
  if (!o.augment_with.empty()) {
    if (kind != SourceKind::Audio && kind != SourceKind::Image)
      throw std::invalid_argument("train: --augment-with adds audio or images, not table rows");
    const Dataset extra = load_dataset(o.augment_with, kind);
    for (const auto& l : extra.labels)
      if (ds.label_index(l) < 0) throw std::invalid_argument("train: --augment-with " + o.augment_with + " has label '" + l + "', which " + o.data + " has not");
    LoadReport extra_report;
    ExampleSet more = load_examples(extra, std::vector<Part>(extra.items.size(), Part::Train), Part::Train, fe, cache, jobs,
                                    &extra_report, [&](size_t d, size_t t) { obs.loading(d, t, "train, added"); });
    for (int& l : more.label) l = ds.label_index(extra.labels[size_t(l)]);
    for (int& l : more.clip_label) l = ds.label_index(extra.labels[size_t(l)]);
    for (auto& c : more.clips) c = "added:" + c;  // never a song of the collection
    append_examples(train_set, more);
    example_weight.resize(train_set.count(), 1.f);
    obs.message("added to the training part: " + std::to_string(more.clips.size()) + " clips (" +
                std::to_string(more.count()) + " examples) from " + o.augment_with);
    train_report.add_counts(extra_report);
    train_report.failures.insert(train_report.failures.end(), extra_report.failures.begin(), extra_report.failures.end());
  }
  const ExampleSet valid_set = load_examples(ds, parts, Part::Valid, fe, cache, jobs, &valid_report,
                                             [&](size_t d, size_t t) { obs.loading(d, t, "valid"); });
  for (const auto* rep : {&train_report, &valid_report})
    for (const auto& f : rep->failures) {
      obs.message("skipped (unreadable): " + f);
      result.skipped.push_back(f);
    }
  char took[32];
  std::snprintf(took, sizeof took, "%.2f", train_report.seconds + valid_report.seconds);
  obs.message("features: " + std::to_string(train_report.files + valid_report.files) + " files in " + took + " s (" +
              std::to_string(train_report.cache_hits + valid_report.cache_hits) + " from the cache)");
  if (train_set.count() == 0) throw std::runtime_error("train: the split '" + o.split + "' leaves no training examples");
  const bool has_valid = valid_set.count() > 0;
  result.train_clips = train_set.clips.size();
  result.train_chunks = train_set.count();
  result.valid_clips = valid_set.clips.size();
  result.valid_chunks = valid_set.count();

  nlohmann::json meta = {
      {"labels", ds.labels},
      {"frontend", to_json(fp)},
      {"split", {{"spec", o.split}, {"seed", o.seed}, {"valid_trained", o.valid_as_train}}},
      {"data", fs::absolute(o.data).string()},
  };
  if (kind == SourceKind::Table) meta["table_columns"] = ds.columns;
  else if (fp.input == InputKind::Table) meta["table_columns"] = gtzan_feature_names();
  const std::string model_path = (fs::path(o.out) / "model.genre").string();

  if (trees) {
    // Gradient-boosted trees: rounds play the part of epochs in the log and the curves.
    XgbParams xp;
    xp.rounds = o.epochs;
    xp.patience = o.patience;
    xp.seed = o.seed;
    xp.threads = threads;
    const auto t_fit = Clock::now();
    XgbModel model = XgbModel::train(train_set.data, train_set.label, size_t(train_set.shape.size()), ds.labels.size(),
                                     valid_set.data, valid_set.label, xp,
                                     [&](int round, double tl, double ta, double vl, double va) {
                                       EpochStats st;
                                       st.epoch = round;
                                       st.train_loss = tl;
                                       st.train_acc = ta;
                                       st.has_valid = has_valid;
                                       st.valid_loss = vl;
                                       st.valid_acc = st.valid_clip_acc = va;
                                       st.lr = xp.eta;
                                       result.history.push_back(st);
                                       obs.epoch(st);
                                     });
    result.best_epoch = model.best_round();
    result.parameters = model.best_round();
    const ModelConfig cfg{"xgboost", train_set.shape, int64_t(ds.labels.size()), 0.0};
    auto probs = [&](const float* x, int64_t n, double* out) {
      const auto p = model.predict(x, size_t(n), size_t(train_set.shape.size()));
      std::copy(p.begin(), p.end(), out);
    };
    meta["training"] = {{"model", "xgboost"}, {"rounds", o.epochs}, {"best_round", model.best_round()},
                        {"patience", o.patience}, {"eta", xp.eta}, {"max_depth", xp.max_depth}, {"seed", o.seed},
                        {"threads", threads}, {"train_clips", result.train_clips}, {"seconds", since(t_fit)}};
    if (has_valid) {
      const Evaluation ev = evaluate_examples(probs, valid_set, ds.labels);
      meta["metrics"] = {{"valid", {{"clip_level", to_json(ev.clip)}, {"chunk_level", to_json(ev.chunk)}, {"loss", ev.loss}}}};
      result.valid_clip = ev.clip;
      result.valid_chunk = ev.chunk;
    }
    save_model(model_path, model, cfg, meta);
    write_log((fs::path(o.out) / "log.csv").string(), result.history);
    write_curves((fs::path(o.out) / "curves.png").string(), result.history);
    result.model_path = model_path;
    result.seconds = since(t_start);
    result.seconds_per_epoch = result.history.empty() ? 0 : since(t_fit) / double(result.history.size());
    return result;
  }

  // Model, standardisation, optimizer.
  ModelConfig cfg{o.model, train_set.shape, int64_t(ds.labels.size()), o.dropout};
  Classifier net;
  std::vector<std::vector<torch::Tensor>> groups;
  std::vector<double> lr_scales;
  std::vector<std::shared_ptr<torch::nn::Module>> frozen_statistics;  // kept in evaluation mode
  std::vector<float> mean(size_t(train_set.shape.c), 0.f), sd(size_t(train_set.shape.c), 1.f);
  if (end_to_end) {
    // The pretrained backbones take the log-mel windows as they are (no standardisation); the
    // head standardises their embeddings with the statistics of stage 1.
    if (tuned.labels != ds.labels) throw std::invalid_argument(o.finetune_from + ": its labels are not those of " + o.data);
    net = tuned.net;
    cfg = net->config();
    auto children = net->named_children();
    std::vector<torch::Tensor> backbone_params;
    for (auto& b : *children["backbones"]->as<torch::nn::ModuleList>()) {
      for (auto& p : b->parameters()) backbone_params.push_back(p);
      frozen_statistics.push_back(b);
    }
    groups = {backbone_params, children["head"]->parameters()};
    lr_scales = {o.backbone_lr_scale, 1.0};
    for (auto& p : net->parameters()) p.set_requires_grad(true);
  } else {
    net = create_model(cfg);
    if (!o.pretrained.empty()) {
      const PretrainedLoad pl = load_pretrained_weights(*net, o.pretrained);
      std::string kept;
      for (size_t i = 0; i < pl.kept.size() && i < 4; ++i) kept += (i ? ", " : "") + pl.kept[i];
      obs.message("pretrained: " + std::to_string(pl.loaded.size()) + " tensors from " + o.pretrained + "; " +
                  std::to_string(pl.kept.size()) + " as initialised" + (kept.empty() ? "" : " (" + kept + (pl.kept.size() > 4 ? ", ..." : "") + ")") +
                  "; " + std::to_string(pl.unused.size()) + " of the file unused");
    }
    std::tie(mean, sd) = channel_stats(train_set);
    net->set_input_stats(torch::tensor(mean), torch::tensor(sd));
    if (o.backbone.empty()) frozen_statistics = freeze_layers(*net, o.freeze);
    if (!frozen_statistics.empty())
      obs.message("frozen: " + std::to_string(frozen_statistics.size()) + " layers (" + o.freeze + ")");
    std::vector<torch::Tensor> body, head;
    for (auto& p : net->named_parameters())
      if (p.value().requires_grad()) (is_head_parameter(p.key()) ? head : body).push_back(p.value());
    if (body.empty() && head.empty()) throw std::invalid_argument("train: --freeze " + o.freeze + " leaves nothing to train");
    if (!o.pretrained.empty() && !body.empty()) {
      groups = {body, head};  // pretrained layers at a lower rate than the new classifier
      lr_scales = {o.backbone_lr_scale, 1.0};
    } else {
      body.insert(body.end(), head.begin(), head.end());
      groups = {body};
    }
  }
  result.parameters = count_parameters(*net);
  const auto augments = parse_augments(o.augment);
  const bool mixup = std::find(augments.begin(), augments.end(), Augment::Mixup) != augments.end();
  const AugmentContext actx{fp.input, train_set.shape, mean, sd, fp.n_mels};
  auto optimizer = make_optimizer(o, groups);
  torch::Tensor class_weight;
  if (o.balanced) {
    std::vector<float> w(ds.labels.size(), 0.f);
    for (int l : train_set.label) w[size_t(l)] += 1.f;
    for (float& v : w) v = v > 0 ? float(train_set.count()) / (float(w.size()) * v) : 0.f;
    class_weight = torch::tensor(w);
  }

  // Resume: model, optimizer and loop state from the last completed epoch.
  const std::string checkpoint = (fs::path(o.out) / "checkpoint.pt").string();
  int start_epoch = 1, since_best = 0;
  double best_loss = std::numeric_limits<double>::infinity(), lr = o.lr;
  if (o.resume || o.resume_if_present) {
    // Rank 0 reads its checkpoint and sends it to the others, so ranks on nodes that do not share
    // the output folder resume from the same state (an empty string: there is none).
    std::string bytes;
    if (writer && fs::exists(checkpoint)) bytes = read_file_bytes(checkpoint);
    grad_sync.broadcast_bytes(bytes);
    if (bytes.empty() && o.resume) throw std::runtime_error(checkpoint + ": no checkpoint to resume from");
    if (!bytes.empty()) {
      torch::serialize::InputArchive in;
      in.load_from(bytes.data(), bytes.size());
      c10::IValue state_text;
      in.read("state", state_text);
      const auto state = nlohmann::json::parse(state_text.toStringRef());
      if (state.at("model") != o.model || state.at("input") != input_name(fp.input))
        throw std::runtime_error(checkpoint + ": was made by a different model or input");
      net->load(in);
      torch::serialize::InputArchive opt_in;
      in.read("optimizer", opt_in);
      optimizer->load(opt_in);
      start_epoch = state.at("epoch").get<int>() + 1;
      since_best = state.at("since_best");
      best_loss = state.at("best_loss").is_null() ? std::numeric_limits<double>::infinity() : state.at("best_loss").get<double>();
      lr = state.at("lr");
      result.best_epoch = state.at("best_epoch");
      result.history = history_from_json(state.at("history"));
      obs.message("resuming after epoch " + std::to_string(start_epoch - 1));
    }
  }
  if (world > 1) {
    // Every rank starts from rank 0's parameters and buffers (also after --resume).
    std::vector<torch::Tensor> state;
    for (auto& p : net->parameters()) state.push_back(p.data());
    for (auto& b : net->buffers()) state.push_back(b);
    grad_sync.broadcast(state);
  }

  const int64_t C = train_set.shape.c, H = train_set.shape.h, W = train_set.shape.w;
  const size_t example_size = size_t(train_set.shape.size());
  std::vector<float> batch_buf;
  std::vector<int64_t> batch_labels;
  std::vector<float> batch_weights;
  const int epochs = closed_form ? 1 : o.epochs;  // lda: one fit in place of the epochs
  std::vector<double> lda_shrinkage;                // lda: each class's covariance shrinkage
  for (int epoch = start_epoch; epoch <= epochs; ++epoch) {
    const auto t_epoch = Clock::now();
    // Everything random in an epoch derives from (seed, epoch): reproducible, and resumable.
    torch::manual_seed(o.seed * 7919 + uint64_t(epoch));
    std::mt19937_64 rng(o.seed * 1000003 + uint64_t(epoch));
    if (o.schedule == "cosine") lr = o.lr * 0.5 * (1 + std::cos(M_PI * double(epoch - 1) / double(o.epochs)));
    if (o.schedule == "step") lr = o.lr * std::pow(0.5, double((epoch - 1) / 10));
    set_lr(*optimizer, lr, lr_scales);
    std::vector<size_t> order(train_set.count());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    if (world > 1) {
      // DistributedSampler: one permutation per (seed, epoch) on every rank, padded by its own
      // start to a multiple of the world size, rank r taking every world-th example from r; then
      // augmentation and dropout streams of their own, from (seed, epoch, rank).
      const size_t per_rank = (order.size() + size_t(world) - 1) / size_t(world);
      for (size_t i = 0; order.size() < per_rank * size_t(world); ++i) order.push_back(order[i]);
      std::vector<size_t> mine;
      for (size_t i = size_t(rank); i < order.size(); i += size_t(world)) mine.push_back(order[i]);
      order.swap(mine);
      rng.seed(o.seed * 1000003 + uint64_t(epoch) + 0x9E3779B97F4A7C15ull * uint64_t(rank));
      torch::manual_seed(o.seed * 7919 + uint64_t(epoch) + 104729 * uint64_t(rank));
    }
    net->train();
    for (auto& m : frozen_statistics) m->eval();  // pretrained batch-norm statistics stay as they are
    const size_t batches = closed_form ? 0 : (order.size() + size_t(o.batch_size) - 1) / size_t(o.batch_size);
    // --accumulate K: K micro-batches make one step. Each one's mean loss is weighted by its share
    // of the step's examples, so the summed gradient is the mean over all K x batch examples: the
    // step of one batch K times as large (the epoch's last step takes what is left).
    const size_t K = size_t(o.accumulate);
    double loss_sum = 0, correct = 0;
    size_t seen = 0;
    for (size_t b = 0; b < batches; ++b) {
      const size_t first = b * size_t(o.batch_size);
      const size_t n = std::min(size_t(o.batch_size), order.size() - first);
      batch_buf.resize(n * example_size);
      batch_labels.resize(n);
      batch_weights.resize(n);
      for (size_t i = 0; i < n; ++i) {
        const size_t e = order[first + i];
        float* x = batch_buf.data() + i * example_size;
        std::copy_n(train_set.example(e), example_size, x);
        for (Augment a : augments) augment_example(a, x, actx, rng);
        batch_labels[i] = train_set.label[e];
        batch_weights[i] = example_weight[e];
      }
      torch::Tensor x = torch::from_blob(batch_buf.data(), {int64_t(n), C, H, W}, torch::kFloat32);
      torch::Tensor y = torch::from_blob(batch_labels.data(), {int64_t(n)}, torch::kInt64);
      torch::Tensor ew = torch::from_blob(batch_weights.data(), {int64_t(n)}, torch::kFloat32);
      torch::Tensor loss, logits;
      if (mixup && n > 1) {
        const double lam = beta_draw(rng, 0.2);
        std::vector<int64_t> perm(n);
        std::iota(perm.begin(), perm.end(), 0);
        std::shuffle(perm.begin(), perm.end(), rng);
        torch::Tensor p = torch::tensor(perm);
        logits = net->forward(lam * x + (1 - lam) * x.index_select(0, p));
        loss = lam * weighted_cross_entropy(logits, y, ew, class_weight) +
               (1 - lam) * weighted_cross_entropy(logits, y.index_select(0, p), ew.index_select(0, p), class_weight);
      } else {
        logits = net->forward(x);
        loss = weighted_cross_entropy(logits, y, ew, class_weight);
      }
      if (!std::isfinite(loss.item<double>())) {
        if (!torch::isfinite(x).all().item<bool>())
          throw std::runtime_error("epoch " + std::to_string(epoch) + ": a training batch holds non-finite features");
        throw std::runtime_error("training diverged at epoch " + std::to_string(epoch) + " (the loss is " +
                                 std::to_string(loss.item<double>()) + "): try a lower --lr");
      }
      const size_t step_first = b / K * K, step_end = std::min(batches, step_first + K);
      const size_t step_examples = std::min(order.size(), step_end * size_t(o.batch_size)) - step_first * size_t(o.batch_size);
      if (b == step_first) optimizer->zero_grad();
      if (step_examples == n) loss.backward();
      else (loss * (double(n) / double(step_examples))).backward();
      if (b + 1 == step_end) {
        std::vector<torch::Tensor> grads;
        for (auto& param : net->parameters())
          if (param.grad().defined()) grads.push_back(param.grad());
        grad_sync.synchronize(grads);
        optimizer->step();
      }
      loss_sum += loss.item<double>() * double(n);
      correct += logits.argmax(1).eq(y).sum().item<double>();
      seen += n;
      obs.batch(epoch, b + 1, batches, loss_sum / double(seen), correct / double(seen));
    }
    if (closed_form) {
      lda_shrinkage = fit_lda_head(*net, train_set, mean, sd, LdaParams{o.shrinkage, o.balanced});
      std::tie(loss_sum, correct) = loss_and_correct(*net, train_set);
      seen = train_set.count();
    }

    if (world > 1) {
      std::vector<double> totals = {loss_sum, correct, double(seen)};
      grad_sync.sum(totals);
      loss_sum = totals[0], correct = totals[1], seen = size_t(totals[2]);
    }
    EpochStats st;
    st.epoch = epoch;
    st.train_loss = loss_sum / double(seen);
    st.train_acc = correct / double(seen);
    st.lr = lr;
    st.has_valid = has_valid;
    Evaluation ev;
    if (has_valid) {
      if (writer) ev = evaluate_examples(*net, valid_set, ds.labels);
      st.valid_loss = ev.loss;
      st.valid_acc = ev.chunk.accuracy;
      st.valid_clip_acc = ev.clip.accuracy;
      st.valid_auroc = ev.clip.macro_auroc;
      if (world > 1) {
        // Rank 0's figures on every rank: the same log, and the same early-stopping decision.
        std::vector<torch::Tensor> figures = {
            torch::tensor({st.valid_loss, st.valid_acc, st.valid_clip_acc, st.valid_auroc}, torch::kFloat64)};
        grad_sync.broadcast(figures);
        st.valid_loss = ev.loss = figures[0][0].item<double>();
        st.valid_acc = figures[0][1].item<double>();
        st.valid_clip_acc = figures[0][2].item<double>();
        st.valid_auroc = figures[0][3].item<double>();
      }
    }
    st.seconds = since(t_epoch);
    result.history.push_back(st);
    obs.epoch(st);

    // Keep the best model (lowest validation loss; without a validation part, the last).
    const bool improved = !has_valid || ev.loss < best_loss;
    if (improved) {
      best_loss = has_valid ? ev.loss : best_loss;
      since_best = 0;
      result.best_epoch = epoch;
      nlohmann::json m = meta;
      m["training"] = {{"model", o.model},         {"optimizer", o.optimizer},   {"lr", o.lr},
                       {"weight_decay", o.weight_decay}, {"schedule", o.schedule}, {"batch_size", o.batch_size},
                       {"epochs", o.epochs},       {"best_epoch", epoch},        {"patience", o.patience},
                       {"accumulate", o.accumulate},   {"bandlimit_copies", o.bandlimit_copies},
                       {"augment", o.augment},     {"balanced", o.balanced},     {"seed", o.seed},
                       {"threads", threads},       {"dropout", o.dropout},       {"train_clips", result.train_clips},
                       {"train_chunks", result.train_chunks}, {"seconds", since(t_start)},
                       {"parameters", result.parameters}};
      if (!o.augment_with.empty()) m["training"]["augment_with"] = o.augment_with;
      if (!o.bandlimit_copies.empty()) m["training"]["bandlimit_weight"] = o.bandlimit_weight;
      if (closed_form)
        m["training"]["lda"] = {{"shrinkage", o.shrinkage < 0 ? nlohmann::json("auto") : nlohmann::json(o.shrinkage)},
                                {"class_shrinkage", lda_shrinkage}, {"priors", o.balanced ? "uniform" : "class frequencies"}};
      if (o.crop_copies > 0)
        m["training"]["crop_copies"] = {{"copies", o.crop_copies}, {"seconds", o.crop_seconds}, {"bandlimited", o.bandlimit_crops}};
      if (!o.pretrained.empty())
        m["training"]["pretrained"] = {{"from", o.pretrained}, {"freeze", o.freeze}, {"backbone_lr_scale", o.backbone_lr_scale}};
      if (has_valid)
        m["metrics"] = {{"valid", {{"clip_level", to_json(ev.clip)}, {"chunk_level", to_json(ev.chunk)}, {"loss", ev.loss}}}};
      if (world > 1) m["training"]["world_size"] = world;
      if (end_to_end) {
        m["backbone"] = tuned.meta.value("backbone", nlohmann::json::object());
        m["backbone"]["frozen"] = false;
        m["training"]["finetune"] = {{"from", o.finetune_from}, {"backbone_lr_scale", o.backbone_lr_scale}};
      }
      if (writer && backbone) {
        // The best head on its backbones: one model on the log-mel input, loadable at any time.
        m["backbone"] = {{"spec", o.backbone}, {"archs", backbone_archs}, {"frozen", true}};
        save_model(model_path, *make_transfer(backbone, backbone_archs, net, int64_t(ds.labels.size())), m);
      } else if (writer) {
        save_model(model_path, *net, m);
      }
      result.valid_clip = ev.clip;
      result.valid_chunk = ev.chunk;
    } else {
      ++since_best;
    }
    if (o.schedule == "plateau" && has_valid && since_best > 0 && since_best % std::max(2, o.patience / 2) == 0) lr *= 0.5;

    // Checkpoint for --resume, logs and curves.
    if (writer) {
      torch::serialize::OutputArchive out, opt_out;
      net->save(out);
      optimizer->save(opt_out);
      out.write("optimizer", opt_out);
      nlohmann::json state = {{"model", o.model},
                              {"input", input_name(fp.input)},
                              {"epoch", epoch},
                              {"since_best", since_best},
                              {"best_loss", std::isfinite(best_loss) ? nlohmann::json(best_loss) : nlohmann::json(nullptr)},
                              {"best_epoch", result.best_epoch},
                              {"lr", lr},
                              {"history", history_json(result.history)}};
      out.write("state", c10::IValue(state.dump()));
      write_atomically(checkpoint, [&](const std::string& tmp) { out.save_to(tmp); });
    }
    if (writer) {
      write_log((fs::path(o.out) / "log.csv").string(), result.history);
      write_curves((fs::path(o.out) / "curves.png").string(), result.history);
    }
    if (has_valid && since_best >= o.patience) {
      obs.message("early stop: no better validation loss for " + std::to_string(o.patience) + " epochs");
      break;
    }
  }
  result.model_path = model_path;
  result.seconds = since(t_start);
  double epoch_seconds = 0;
  for (const auto& h : result.history) epoch_seconds += h.seconds;
  result.seconds_per_epoch = result.history.empty() ? 0 : epoch_seconds / double(result.history.size());
  return result;
}

}  // namespace genre
