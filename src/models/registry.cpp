#include <sstream>
#include <stdexcept>

#include "genre/model.h"
#include "genre/pretrained.h"
#include "zoo.h"

namespace genre {

const std::vector<ModelInfo>& model_registry() {
  using K = InputKind;
  const auto tagger = [] { return tagger_frontend(); };
  const auto tagger3 = [] { return tagger_frontend(3.0, 3.0); };
  const auto essentia = [] { return essentia_frontend(); };
  const std::vector<K> spectral = {K::Mel, K::Stft, K::Mfcc, K::Dual, K::Image};
  static const std::vector<ModelInfo> registry = {
      {"mlp", "dense 128-64 on the flattened input", {K::Mel, K::Mfcc, K::Table, K::Image}, make_mlp},
      {"logreg", "multinomial logistic regression", {K::Table, K::Mfcc, K::Mel}, make_logreg},
      // logreg's form, fitted in closed form by linear discriminant analysis (genre/lda.h).
      {"lda", "linear discriminant analysis, shrunk covariance (--shrinkage): logreg's form, fitted in one step", {K::Table, K::Mfcc, K::Mel}, make_logreg},
      // Heads on a transfer model's embedding whose last value is the `bandwidth` flag.
      {"band-logreg", "two logistic regressions, for full-band and narrowband input (--backbone ...,bandwidth)", {K::Mel}, make_band_logreg},
      {"band-mlp", "two dense 128-64 heads, for full-band and narrowband input (--backbone ...,bandwidth)", {K::Mel}, make_band_mlp},
      {"tiny", "4 small conv blocks, ~11k parameters", spectral, make_tiny},
      {"cnn3", "3 conv blocks with batch norm, ReLU, dropout", spectral, make_cnn3},
      {"cnn4", "4 conv layers 32-64-128-256, max-pool after the 2nd and 4th", spectral, make_cnn4},
      {"cnn4-bn", "cnn4 with batch norm", spectral, make_cnn4_bn},
      {"cnn-large", "VGG-style, ~14M parameters", spectral, make_cnn_large},
      {"vgg16", "VGG-16 conv stack, small classifier", spectral, make_vgg16},
      {"resnet18", "ResNet-18 (torchvision's names)", spectral, make_resnet18},
      {"densenet121", "DenseNet-BC-121, growth 32, blocks 6-12-24-16 (torchvision's names)", {K::Dual, K::Mel, K::Stft, K::Image}, make_densenet121},
      {"densenet-small", "DenseNet-BC, growth 12, blocks 3-6-12-8", {K::Dual, K::Mel, K::Stft, K::Image}, make_densenet_small},
      {"mobilenet-v2", "MobileNetV2, width 1.0 (torchvision's names)", spectral, make_mobilenet_v2},
      {"efficientnet-b0", "EfficientNet-B0 (torchvision's names)", spectral, make_efficientnet_b0},
      // ImageNet-pretrained networks (genre/imagenet.h): start them from their weights with --pretrained.
      {"mobilenet-v1-0.25", "Keras MobileNet v1, width 0.25 (ImageNet weights: --pretrained)", spectral, make_mobilenet_v1_025},
      {"mobilenet-v2-0.35", "Keras MobileNetV2, width 0.35 (ImageNet weights: --pretrained)", spectral, make_mobilenet_v2_035},
      {"squeezenet-1.1", "SqueezeNet 1.1 (ImageNet weights: --pretrained)", spectral, make_squeezenet_11},
      {"lstm", "LSTM 512-256 on MFCC sequences, dense 128-64", {K::Mfcc}, make_lstm},
      // The pretrained taggers' architectures (genre/pretrained.h), on their own log-mel front end.
      {"fcn", "FCN tagger (Choi 2016): 5 conv blocks, 29 s windows", {K::Mel}, make_fcn, tagger},
      {"crnn", "CRNN tagger (Choi 2017): 4 conv blocks + GRU, 29 s windows", {K::Mel}, make_crnn, tagger},
      {"musicnn", "Musicnn tagger (Pons 2018): timbral/temporal filters, 3 s windows", {K::Mel}, make_musicnn, tagger3},
      {"musicnn-pool", "Musicnn whose embedding is its pooled mid-level layer (1506 values; NAME:pool, e.g. jamendo-musicnn:pool)", {K::Mel}, make_musicnn_pool, tagger3},
      // Essentia's ports (CC BY-NC-SA 4.0: for comparison only, never shipped), on Essentia's patches.
      {"essentia-musicnn", "Essentia's MusiCNN, msd-musicnn-1 (noncommercial, comparison only): log10 mel patches, 3 s", {K::Mel}, make_essentia_musicnn, essentia},
      {"essentia-vgg", "Essentia's VGG baseline, msd-vgg-1 (noncommercial, comparison only): log10 mel patches, 3 s", {K::Mel}, make_essentia_vgg, essentia},
      {"bandwidth", "narrowband detector, no weights: 1 when a window holds nothing above 4.3 kHz (a backbone)", {K::Mel}, make_bandwidth, tagger},
  };
  return registry;
}

const ModelInfo& find_model(const std::string& name) {
  for (const auto& m : model_registry())
    if (m.name == name) return m;
  std::ostringstream names;
  for (const auto& m : model_registry()) names << (names.tellp() ? ", " : "") << m.name;
  throw std::invalid_argument("unknown model '" + name + "' (" + names.str() + ")");
}

Classifier create_model(const ModelConfig& cfg) {
  if (cfg.input.size() <= 0) throw std::invalid_argument("model input shape is empty");
  if (cfg.arch == "transfer") return make_transfer_model(cfg);  // backbones + head: built from its config
  return find_model(cfg.arch).make(cfg);
}

}  // namespace genre
