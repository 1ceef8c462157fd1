// Starting a zoo model from pretrained weights (genre train --pretrained FILE) and freezing some
// of its layers (--freeze): the ImageNet networks of genre/imagenet.h, torchvision's checkpoints
// (converted by scripts/pth_to_safetensors.py) for densenet121, vgg16, mobilenet-v2, resnet18 and
// efficientnet-b0, whose parameter names genre keeps, or a genre model file of the same architecture.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "genre/model.h"

namespace genre {

// What load_pretrained_weights() did, for the log.
struct PretrainedLoad {
  std::vector<std::string> loaded;   // model tensors taken from the file
  std::vector<std::string> kept;     // model tensors the file has not (or with another shape): as initialised
  std::vector<std::string> unused;   // file tensors the model has not
};

// Starts `net` from the weights in FILE: a safetensors file with the model's tensor names (the
// ImageNet folders' Keras names, with '/' read as '.'; a genre model file of the same
// architecture; a converted torchvision checkpoint). The classifier is also found as conv_preds
// (Keras MobileNet), fc (ResNet) or classifier.1 (MobileNetV2, EfficientNet). A first convolution
// stored for three input channels loads into a one-channel model summed over them: a grey image
// (R = G = B) gives the same response. Tensors whose shape differs otherwise (a classifier for
// other classes) keep their initialisation; the input standardisation is never taken. Throws
// std::runtime_error naming the file if nothing matches.
PretrainedLoad load_pretrained_weights(ClassifierImpl& net, const std::string& path);

// --freeze: "backbone" freezes every parameter but the classifier's (a linear probe); a number N
// freezes the first N layers that hold parameters, in forward order, as Keras's
// `for layer in model.layers[:N]: layer.trainable = False`. Returns the modules whose batch-norm
// statistics must stay as they are (the trainer keeps them in evaluation mode). Throws
// std::invalid_argument on a spec that is neither.
std::vector<std::shared_ptr<torch::nn::Module>> freeze_layers(ClassifierImpl& net, const std::string& spec);

// Whether a parameter name belongs to the new head rather than the pretrained part.
bool is_head_parameter(const std::string& name);

}  // namespace genre
