// wavegan: WaveGAN's generator and discriminator (genre/wavegan.h), conditioned on the genre.
#include "genre/wavegan.h"

#include <cmath>

namespace genre {

namespace nn = torch::nn;

WaveGanGeneratorImpl::WaveGanGeneratorImpl(int64_t d_, int64_t latent_, int64_t classes)
    : d(d_), latent(latent_), n_classes(classes) {
  fc = register_module("fc", nn::Linear(latent + n_classes, 16 * 16 * d));
  const int64_t widths[6] = {16 * d, 8 * d, 4 * d, 2 * d, d, 1};
  for (int i = 0; i < 5; ++i)
    deconv.push_back(register_module(
        "deconv" + std::to_string(i + 1),
        nn::ConvTranspose1d(nn::ConvTranspose1dOptions(widths[i], widths[i + 1], 25).stride(4).padding(11).output_padding(1))));
  // He init: each output sample of a stride-4 transposed convolution sums 25 / 4 taps of each input
  // channel. libtorch's default (variance 1 / (3 fan_in)) shrinks the signal about 1000-fold over
  // the five layers, and the untrained generator's output is then tanh(bias), the same for any input.
  torch::NoGradGuard no_grad;
  for (auto& c : deconv) {
    const double fan_in = double(c->options.in_channels()) * 25.0 / 4.0;
    c->weight.normal_(0.0, std::sqrt(2.0 / fan_in));
    c->bias.zero_();
  }
}

torch::Tensor WaveGanGeneratorImpl::forward(torch::Tensor z, torch::Tensor labels) {
  const torch::Tensor code = torch::one_hot(labels, n_classes).to(z.dtype());
  torch::Tensor x = torch::relu(fc(torch::cat({z, code}, 1)).view({z.size(0), 16 * d, 16}));
  for (size_t i = 0; i < deconv.size(); ++i) {
    x = deconv[i](x);
    x = i + 1 < deconv.size() ? torch::relu(x) : torch::tanh(x);
  }
  return x;  // [N, 1, 16384]
}

torch::Tensor phase_shuffle(const torch::Tensor& x, int64_t rad) {
  if (rad <= 0) return x;
  const int64_t n = x.size(0), len = x.size(2);
  const torch::Tensor padded = torch::reflection_pad1d(x, {rad, rad});
  const torch::Tensor shifts = torch::randint(-rad, rad + 1, {n}, torch::kInt64);
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(padded[i].narrow(1, rad - shifts[i].item<int64_t>(), len));
  return torch::stack(out);
}

WaveGanDiscriminatorImpl::WaveGanDiscriminatorImpl(int64_t d_, int64_t n_classes, int64_t rad) : d(d_), shuffle(rad) {
  const int64_t widths[6] = {1, d, 2 * d, 4 * d, 8 * d, 16 * d};
  for (int i = 0; i < 5; ++i)
    conv.push_back(register_module("conv" + std::to_string(i + 1),
                                   nn::Conv1d(nn::Conv1dOptions(widths[i], widths[i + 1], 25).stride(4).padding(11))));
  torch::NoGradGuard no_grad;
  for (auto& c : conv) {
    nn::init::kaiming_normal_(c->weight, 0.2, torch::kFanIn, torch::kLeakyReLU);
    c->bias.zero_();
  }
  fc = register_module("fc", nn::Linear(16 * 16 * d, 1));
  embed = register_module("embed", nn::Embedding(n_classes, 16 * 16 * d));
}

torch::Tensor WaveGanDiscriminatorImpl::forward(torch::Tensor x, torch::Tensor labels) {
  for (size_t i = 0; i < conv.size(); ++i) {
    x = torch::leaky_relu(conv[i](x), 0.2);
    if (i + 1 < conv.size() && is_training()) x = phase_shuffle(x, shuffle);
  }
  const torch::Tensor h = x.flatten(1);
  return fc(h).squeeze(1) + (embed(labels) * h).sum(1);  // projection discriminator
}

}  // namespace genre
