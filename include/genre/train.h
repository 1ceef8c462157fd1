// Training: `genre train` as a library call. One step is forward, loss, backward, gradient
// synchronisation (a hook: a no-op on one process, an all-reduce under data-parallel training),
// optimizer step, so that distributed training plugs in without touching the loop.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "genre/dataset.h"
#include "genre/frontend.h"
#include "genre/metrics.h"

namespace genre {

struct TrainOptions {
  std::string data;             // dataset folder or features table (.csv)
  std::string out;              // output folder
  std::string model = "cnn3";
  std::string input;            // front end; empty: the model's default
  FrontEndParams frontend;      // input is set from `input`
  std::string split = "stratified:80/10/10";
  uint64_t seed = 42;
  std::string optimizer = "adam";  // adam | rmsprop | sgd
  double lr = 1e-4, weight_decay = 0.0, momentum = 0.9;
  std::string schedule = "plateau";  // none | step | cosine | plateau
  int epochs = 30, batch_size = 32, patience = 8;
  int threads = 0;                   // 0: all cores
  std::string augment;               // comma list, see augment.h
  // Audio front ends: each training file once more for every value, band-limited to that many Hz
  // (FrontEndParams::bandlimit_hz) as a lower-rate recording of it would be, so that a model does
  // not take bandwidth for a genre. Validation and test parts are never copied.
  std::vector<double> bandlimit_copies;
  // The loss weight of each band-limited copy (1: as much as an original). Below 1 the copies still
  // teach that an 8 kHz recording keeps its genre, while the originals weigh more in the head.
  double bandlimit_weight = 1.0;
  // Audio front ends: each training clip of at least 2 x crop_seconds once more for each of
  // crop_copies short crops (FrontEndParams::crop_seconds), one from each of crop_copies equal
  // stretches of the clip, so that the model also learns from inputs as short as the 2-3 s excerpts.
  int crop_copies = 0;
  double crop_seconds = 2.5;
  // The crops band-limited too: each crop once more for each bandlimit_copies value (at
  // bandlimit_weight), so that short inputs also learn that bandwidth is no genre cue.
  bool bandlimit_crops = false;
  double dropout = 0.3;
  bool balanced = false;             // weight the loss by inverse class frequency (lda: uniform priors)
  // --model lda: the shrinkage of each class's covariance, 0 to 1, or negative for Ledoit-Wolf's
  // estimate ("auto"; genre/lda.h).
  double shrinkage = -1;
  std::string cache_dir;             // empty: FeatureCache::default_dir(); "none": no cache
  size_t jobs = 0;                   // feature extraction threads; 0: all cores
  bool resume = false;               // continue from out/checkpoint.pt
  // Resume when rank 0 finds a checkpoint, start afresh when it does not: what a torchrun restart
  // (--max_restarts) asks of the relaunched ranks.
  bool resume_if_present = false;
  int accumulate = 1;                // micro-batches whose gradients make one optimizer step
  // Transfer learning: a pretrained NAME or model file (comma list: embeddings concatenated). The
  // model (logreg, mlp) is then a head trained on the backbone's frozen, cached embeddings, and
  // model.genre holds backbone and head. The front end is the backbone's (genre/pretrained.h).
  std::string backbone;
  double backbone_hop = 14.5;        // seconds between the backbone's 29 s windows
  // --finetune: after the head is trained on the frozen embeddings (stage 1, in OUT/linear-probe),
  // backbones and head train end to end on the log-mel windows for finetune_epochs (stage 2, in
  // OUT), the head at finetune_lr and the backbones at finetune_lr x backbone_lr_scale. The
  // backbones' batch norm keeps its pretrained statistics (evaluation mode) while they train.
  bool finetune = false;
  int finetune_epochs = 5, finetune_batch_size = 8;
  double finetune_lr = 1e-4, backbone_lr_scale = 0.1;
  std::string finetune_from;         // stage 2 itself: the transfer model file to train end to end
  // --refit: early stopping on the valid part picks the epoch count (that run in OUT/early-stopping),
  // then the model trains afresh on the train and valid parts together for that many epochs (in
  // OUT), so that no song is held out of the final model but the test part. Its model file says so,
  // and `genre evaluate --part valid` refuses it. Not with --finetune.
  bool refit = false;
  bool valid_as_train = false;       // the refit itself: the valid part's songs train, nothing validates
  // Start the model from pretrained weights (genre/imagenet.h: an ImageNet folder's
  // weights.safetensors, a genre model file of the same architecture, a converted torchvision
  // checkpoint); its pretrained layers then train at lr x backbone_lr_scale, the new classifier at lr.
  std::string pretrained;
  // "backbone": every layer but the classifier frozen (a linear probe); N: the first N layers with
  // parameters frozen (their batch norm keeps its statistics). Empty: nothing frozen.
  std::string freeze;
  // Extra training clips (genre gan sample's output, or any folder per genre of the same labels):
  // added to the training part only, never to validation or test; they are no song of `data`.
  std::string augment_with;
};

struct EpochStats {
  int epoch = 0;
  double train_loss = 0, train_acc = 0;
  double valid_loss = 0, valid_acc = 0, valid_clip_acc = 0, valid_auroc = 0;
  double lr = 0, seconds = 0;
  bool has_valid = false;
};

struct TrainResult {
  std::string model_path;
  std::vector<EpochStats> history;
  int best_epoch = 0;
  Metrics valid_clip, valid_chunk;  // of the best model
  double seconds = 0, seconds_per_epoch = 0;
  int64_t parameters = 0;
  size_t train_clips = 0, train_chunks = 0, valid_clips = 0, valid_chunks = 0;
  std::vector<std::string> skipped;  // unreadable files, "path: reason"
};

// Receives progress; the CLI draws bars from it. Every method has a no-op default.
struct TrainObserver {
  virtual ~TrainObserver() = default;
  virtual void message(const std::string&) {}
  virtual void loading(size_t /*done*/, size_t /*total*/, const std::string& /*part*/) {}
  virtual void batch(int /*epoch*/, size_t /*batch*/, size_t /*batches*/, double /*loss*/, double /*acc*/) {}
  virtual void epoch(const EpochStats&) {}
};

// What train() asks of the other processes in data-parallel training (genre/distributed.h:
// c10d with Gloo). The default is one process, where every call does nothing.
struct GradientSync {
  virtual ~GradientSync() = default;
  virtual int rank() const { return 0; }
  virtual int world_size() const { return 1; }
  // Averages the gradients over the ranks (in place).
  virtual void synchronize(std::vector<torch::Tensor>& /*grads*/) {}
  // Rank 0's values into every rank's tensors (parameters and buffers at start, metrics).
  virtual void broadcast(std::vector<torch::Tensor>& /*tensors*/) {}
  // Sums per-rank numbers over the ranks (in place).
  virtual void sum(std::vector<double>& /*values*/) {}
  // Rank 0's bytes on every rank (a checkpoint that only rank 0's folder holds).
  virtual void broadcast_bytes(std::string& /*bytes*/) {}
  // What the gradient all-reduce has cost so far (for the log and bench/distributed.sh).
  struct Stats {
    size_t steps = 0, calls = 0;   // synchronize() calls, and all-reduce calls (buckets) in them
    int64_t bytes = 0;             // gradient bytes all-reduced, summed over steps
    double seconds = 0;            // wall time in synchronize(), copies and waiting for the slowest rank included
    double min_seconds = 0;        // the fastest step's: about the all-reduce alone, with no rank to wait for
  };
  virtual Stats stats() const { return {}; }
};

TrainResult train(const TrainOptions& options, TrainObserver* observer = nullptr, GradientSync* sync = nullptr);

// The training loss: cross-entropy with a loss weight per example (the band-limited copies'
// --bandlimit-weight) and optionally per class (--balanced; undefined: none), as torch's weighted
// mean: sum_i w_i l_i / sum_i w_i with w_i = example_weight_i x class_weight[y_i]. With every
// example weight 1 it is F::cross_entropy with `weight` = class_weight.
torch::Tensor weighted_cross_entropy(const torch::Tensor& logits, const torch::Tensor& y, const torch::Tensor& example_weight,
                                     const torch::Tensor& class_weight);

// Where a front end's examples come from: images, a features table (a .csv), or audio (the
// table front end on an audio folder computes the 57 features from 30 s windows).
SourceKind source_kind(InputKind input, const std::string& data);

}  // namespace genre
