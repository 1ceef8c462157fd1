// The ImageNet networks' common part: input adaptation and head.
#include "genre/imagenet.h"

namespace genre {

ImageNetClassifierImpl::ImageNetClassifierImpl(const ModelConfig& cfg, int64_t features, double input_scale, bool bgr)
    : ClassifierImpl(cfg), features_(features), scale_(input_scale), bgr_(bgr) {
  if (cfg.input.c != 1 && cfg.input.c != 3)
    throw std::invalid_argument(cfg.arch + " takes a one-channel spectrogram or a three-channel image, not " +
                                std::to_string(cfg.input.c) + " channels");
}

void ImageNetClassifierImpl::add_classifier() {
  dropout_ = register_module("dropout", torch::nn::Dropout(cfg_.dropout));
  classifier_ = register_module("classifier", torch::nn::Linear(features_, cfg_.n_classes));
}

torch::Tensor ImageNetClassifierImpl::adapt(torch::Tensor x) const {
  if (x.size(1) == 1) x = x.expand({x.size(0), 3, x.size(2), x.size(3)});
  else if (bgr_) x = x.flip(1);
  return x * scale_;
}

torch::Tensor ImageNetClassifierImpl::embed(torch::Tensor x) { return features(adapt(x)); }

torch::Tensor ImageNetClassifierImpl::classify(torch::Tensor f) { return classifier_(dropout_(f)); }

}  // namespace genre
