// ImageNet-pretrained CNNs for transfer learning (genre train --model NAME --pretrained FILE):
// mobilenet-v1-0.25, mobilenet-v2-0.35 and squeezenet-1.1, the Keras networks whose weights are in
// ../shared/weights/imagenet/, each in its own file under src/models/imagenet/ with the Keras layer
// names as module names, so that their safetensors files load as they are (genre/warm_start.h).
//
// A spectrogram is one channel; these networks take three. The model standardises its input per
// channel (as every genre model does), repeats one channel into three (a grey image: R = G = B),
// then scales it to the spread of an ImageNet image in the network's own input units: x 0.45 for
// the MobileNets (x/127.5 - 1: pixel std 57.4/127.5), x 57.4 for SqueezeNet (Caffe-style
// mean-subtracted 0-255 pixels). A three-channel input (the Kaggle images) keeps its channels,
// reversed to BGR for SqueezeNet. Any input size works: every stride-2 layer pads as TensorFlow's
// 'same' does (more at the bottom / right), the head is a global average pool and a new linear
// classifier ("classifier"; mobilenet-v1-0.25's ImageNet classifier conv_preds loads into it when
// the model has 1000 classes).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "genre/model.h"

namespace genre {

class ImageNetClassifierImpl : public ClassifierImpl {
 public:
  ImageNetClassifierImpl(const ModelConfig& cfg, int64_t features, double input_scale, bool bgr);
  // The network's own preprocessed input (N x 3 x H x W, as its reference inputs) -> the global
  // average pool of its last block (N x embedding_size()).
  virtual torch::Tensor features(torch::Tensor x) = 0;
  // Pooled features -> logits (dropout, then the linear classifier).
  torch::Tensor classify(torch::Tensor features);
  int64_t embedding_size() const override { return features_; }

 protected:
  torch::Tensor embed(torch::Tensor x) override;  // standardised input -> adapt -> features
  torch::Tensor forward_standardised(torch::Tensor x) override { return classify(embed(x)); }
  // Called by the architectures once their layers are registered: the head comes last.
  void add_classifier();

 private:
  torch::Tensor adapt(torch::Tensor x) const;
  int64_t features_;
  double scale_;
  bool bgr_;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};

}  // namespace genre
