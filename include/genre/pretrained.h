// Pretrained music-tagging networks (Won et al. 2020, minzwon/sota-music-tagging-models): FCN,
// CRNN and Musicnn, each a ClassifierImpl in its own file under src/models/pretrained/, with the
// upstream state_dict names, so that their safetensors weights load as they are. They take the
// log-mel front end of the upstream code (tagger_frontend()) and give 50 tag logits (sigmoid
// output) and a penultimate-layer embedding. A "transfer" model is one or more such backbones, whose
// embeddings are concatenated, under a head trained for genres (genre train --backbone).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "genre/frontend.h"
#include "genre/model.h"
#include "genre/torch_model.h"

namespace genre {

// The upstream front end: 16 kHz, n_fft 512, hop 256, 96 HTK mel bands without normalisation,
// power in dB without a floor (torchaudio MelSpectrogram + AmplitudeToDB), 29 s windows (464,000
// samples, 1813 frames) every `hop` seconds; a shorter clip is looped to fill its window. Musicnn
// was trained on 3 s windows: inside a 29 s window it averages the embeddings of its 3 s segments.
FrontEndParams tagger_frontend(double chunk_seconds = 29.0, double hop = 14.5);

// The narrowband detector `bandwidth` (src/models/pretrained/bandwidth.cpp), a weightless backbone
// whose 1-d embedding is 1 for a log-mel window with nothing above about 4.3 kHz (an 8 kHz
// recording), else 0, for band-routed heads (band-logreg, band-mlp). Its two constants:
struct BandwidthParams {
  static constexpr double from_hz = 4300;  // the high bands: those whose lower edge is at least this
  static constexpr double below_db = -50;  // narrowband when, in the median frame, their mean power is this far below all bands'
};

// Frames of one Musicnn segment (3 s at 16 kHz, hop 256).
constexpr int64_t kMusicnnFrames = 188;

// The noncommercial Essentia taggers (essentia-musicnn, essentia-vgg: Essentia's msd-musicnn-1 and
// msd-vgg-1, CC BY-NC-SA 4.0, for comparison only) take Essentia's TensorflowInputMusiCNN patches:
// 16 kHz, n_fft 512, hop 256, a symmetric Hann window, centred frames padded with zeros, 96 Slaney
// mel bands with Slaney norm, log10(1 + 10000 x), 187 frames (3 s). essentia_frontend() gives 3 s
// windows (48,000 samples, 188 frames, of which the networks read the first 187) every 93 frames
// (1.488 s, TensorflowPredictMusiCNN's patchHopSize); a shorter clip is looped to fill its window.
constexpr int64_t kEssentiaPatchFrames = 187;
FrontEndParams essentia_frontend();
bool is_essentia_arch(const std::string& arch);
// Log-mel windows [N, 1, 96, T] (mel, time) -> their whole 187-frame patches, [N k, 1, 187, 96]
// (time, mel), through embed -> the mean of each window's patch embeddings, [N, d].
torch::Tensor essentia_patches(const torch::Tensor& x, const std::function<torch::Tensor(const torch::Tensor&)>& embed);
// The front end of a backbone stack: tagger_frontend(29 s windows every hop seconds; 14.5 when hop
// is 0) for the MIT taggers, essentia_frontend() for the Essentia ones (hop 0 only: their patches
// step as Essentia's). Throws std::invalid_argument for a stack that mixes the two.
FrontEndParams backbone_frontend(const std::vector<std::string>& archs, double hop = 0);

// A folder of the pretrained collection (../shared/weights/<name>/: weights.safetensors, tags.txt,
// model.md) as a model: arch from the name (msd-fcn -> fcn), labels = tags, sigmoid output. The
// upstream front-end buffers (spec.*) are checked against genre's own filter bank and window and
// otherwise not used. layer "pool" (musicnn only) makes the embedding the pooled mid-level layer
// (arch musicnn-pool, 1506 values) instead of the penultimate one. Throws std::runtime_error naming the file.
LoadedModel load_pretrained(const std::string& dir, const std::string& layer = "");

// Where a pretrained NAME is: $GENRE_WEIGHTS_DIR/NAME, then shared/weights/NAME, ../shared/weights/NAME
// above the working directory and the source tree. Empty if none.
std::string find_pretrained(const std::string& name);

// A backbone for transfer learning: a model file (a tagger) or a pretrained NAME[:LAYER]; a comma list
// gives several, whose embeddings are concatenated. bandwidth_last: the `bandwidth` detector ends
// the stack (appended unless it does already), for band-routed heads.
Classifier load_backbone(const std::string& spec, std::vector<std::string>* archs = nullptr, bool bandwidth_last = false);

// The concatenated embeddings of backbones, as a front-end Embedder (so that the feature cache
// keeps them: a head on frozen embeddings trains in seconds).
// The backbone's cache key: its architectures and a hash of its weights and buffers (so the same
// networks named by zoo name or by file share cached embeddings).
std::string backbone_key(const std::vector<std::string>& archs, torch::nn::Module& backbone);
std::shared_ptr<const Embedder> backbone_embedder(Classifier backbone, const std::string& key);

// A trained transfer model split into its frozen backbones, as the Embedder that `genre train
// --backbone` used (the same cache key: evaluation reads the cached embeddings), and its head on
// those embeddings. Empty for other models and for transfer models that standardise their input
// before the backbones.
struct TransferParts {
  std::shared_ptr<const Embedder> embedder;
  ProbabilityFn head;
};
std::optional<TransferParts> transfer_parts(const LoadedModel& m);

// backbone + trained head -> one "transfer" model (backbone weights frozen inside it).
Classifier make_transfer(Classifier backbone, const std::vector<std::string>& archs, Classifier head, int64_t n_classes);

}  // namespace genre
