// WaveGAN (Donahue, McAuley and Puckette 2018) for augmentation: `genre gan train` learns to make
// 16384-sample clips at 16 kHz (about 1 s) of every genre of a collection, `genre gan sample`
// writes them as audio files, `genre train --augment-with DIR` adds them to a training part.
//
// One generator conditioned on the genre (not one per genre): the latent vector is concatenated
// with the genre's one-hot code, and the discriminator is a projection discriminator (its score
// plus the inner product of its features with a learnt genre embedding), so that genres with few
// clips share what the others teach. Generator: dense projection to 16 x 16d, five transposed 1-D
// convolutions (kernel 25, stride 4; 16d -> 8d -> 4d -> 2d -> d -> 1 channels), ReLU, tanh out.
// Discriminator: five 1-D convolutions (kernel 25, stride 4; 1 -> d -> ... -> 16d), LeakyReLU 0.2,
// phase shuffle (+-2 samples) after the first four. Loss: WGAN-GP (gradient penalty 10), five
// discriminator steps per generator step, Adam (lr 1e-4, betas 0.5 / 0.9). The paper's d is 64;
// genre's default 16 trains on a CPU.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace genre {

constexpr int64_t kWaveGanSamples = 16384;
constexpr int kWaveGanRate = 16000;

struct WaveGanGeneratorImpl : torch::nn::Module {
  WaveGanGeneratorImpl(int64_t d, int64_t latent, int64_t n_classes);
  torch::Tensor forward(torch::Tensor z, torch::Tensor labels);  // [N, latent], [N] -> [N, 1, 16384] in [-1, 1]
  int64_t d, latent, n_classes;
  torch::nn::Linear fc{nullptr};
  std::vector<torch::nn::ConvTranspose1d> deconv;
};
TORCH_MODULE(WaveGanGenerator);

struct WaveGanDiscriminatorImpl : torch::nn::Module {
  WaveGanDiscriminatorImpl(int64_t d, int64_t n_classes, int64_t phase_shuffle = 2);
  torch::Tensor forward(torch::Tensor x, torch::Tensor labels);  // [N, 1, 16384], [N] -> [N] scores
  int64_t d, shuffle;
  std::vector<torch::nn::Conv1d> conv;
  torch::nn::Linear fc{nullptr};
  torch::nn::Embedding embed{nullptr};
};
TORCH_MODULE(WaveGanDiscriminator);

// Shifts each example by a random -rad..rad samples, filling with the reflection (WaveGAN's phase shuffle).
torch::Tensor phase_shuffle(const torch::Tensor& x, int64_t rad);

struct GanOptions {
  std::string data;          // folder per genre (audio), or a comma list
  std::string out;           // OUT/gan.pt (the generator), OUT/checkpoint.pt, OUT/log.csv
  int64_t model_size = 16;   // d
  int64_t latent = 100;
  int64_t batch_size = 16;
  int64_t steps = 2000;      // generator steps
  int64_t critic_steps = 5;  // discriminator steps per generator step
  double lr = 1e-4, gradient_penalty = 10.0;
  int64_t slices_per_file = 8;  // 16384-sample slices kept in memory from each file
  int64_t checkpoint_every = 100;
  uint64_t seed = 1;
  int threads = 0;
  bool resume = false;
};

struct GanResult {
  std::string model_path;
  int64_t steps = 0, slices = 0;
  double seconds = 0;
  std::vector<std::string> skipped;
};

// Trains (or resumes) a WaveGAN; `log(step, d_loss, g_loss, gp)` after each generator step.
GanResult train_gan(const GanOptions& o, const std::function<void(int64_t, double, double, double)>& log = {});

// Writes per_genre clips of each genre of the GAN file into DIR/<genre>/gan.<genre>.NNNNN.wav
// (16-bit WAV, 16 kHz). Returns the files written.
std::vector<std::string> sample_gan(const std::string& model, int64_t per_genre, const std::string& dir, uint64_t seed = 1);

}  // namespace genre
