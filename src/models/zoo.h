// Internal: the factory of every architecture (one per file in src/models/).
#pragma once

#include "genre/model.h"

namespace genre {

Classifier make_mlp(const ModelConfig& c);
Classifier make_logreg(const ModelConfig& c);
Classifier make_tiny(const ModelConfig& c);
Classifier make_cnn3(const ModelConfig& c);
Classifier make_cnn4(const ModelConfig& c);
Classifier make_cnn4_bn(const ModelConfig& c);
Classifier make_cnn_large(const ModelConfig& c);
Classifier make_vgg16(const ModelConfig& c);
Classifier make_resnet18(const ModelConfig& c);
Classifier make_densenet121(const ModelConfig& c);
Classifier make_densenet_small(const ModelConfig& c);
Classifier make_mobilenet_v2(const ModelConfig& c);
Classifier make_efficientnet_b0(const ModelConfig& c);
Classifier make_lstm(const ModelConfig& c);
Classifier make_fcn(const ModelConfig& c);
Classifier make_crnn(const ModelConfig& c);
Classifier make_musicnn(const ModelConfig& c);
Classifier make_musicnn_pool(const ModelConfig& c);
Classifier make_essentia_musicnn(const ModelConfig& c);
Classifier make_essentia_vgg(const ModelConfig& c);
Classifier make_transfer_model(const ModelConfig& c);
Classifier make_bandwidth(const ModelConfig& c);
Classifier make_band_logreg(const ModelConfig& c);
Classifier make_band_mlp(const ModelConfig& c);
Classifier make_mobilenet_v1_025(const ModelConfig& c);
Classifier make_mobilenet_v2_035(const ModelConfig& c);
Classifier make_squeezenet_11(const ModelConfig& c);

}  // namespace genre
