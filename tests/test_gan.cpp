// WaveGAN (genre/wavegan.h): the networks' shapes, a few training steps with a checkpoint and
// --resume, sampling real audio files per genre, and train --augment-with adding them to the
// training part only.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "genre/audio.h"
#include "genre/torch_model.h"
#include "genre/train.h"
#include "genre/wavegan.h"
#include "test_util.h"
#include "train_util.h"

namespace fs = std::filesystem;
using namespace genre;
using namespace genre::test;

TEST(WaveGan, ShapesAndRanges) {
  torch::manual_seed(1);
  WaveGanGenerator g(2, 8, 3);
  WaveGanDiscriminator d(2, 3);
  const torch::Tensor y = torch::tensor({0, 1, 2, 1}, torch::kInt64);
  const torch::Tensor x = g(torch::randn({4, 8}), y);
  EXPECT_EQ(x.sizes().vec(), (std::vector<int64_t>{4, 1, kWaveGanSamples}));
  EXPECT_LE(x.abs().max().item<float>(), 1.f);
  EXPECT_EQ(d(x, y).sizes().vec(), (std::vector<int64_t>{4}));
  // The genre code matters: the same latent vector, another genre, another clip.
  const torch::Tensor z = torch::randn({1, 8});
  EXPECT_GT((g(z, torch::tensor({0}, torch::kInt64)) - g(z, torch::tensor({2}, torch::kInt64))).abs().max().item<float>(), 0.f);
  // Phase shuffle moves each example by at most rad samples and keeps the length.
  const torch::Tensor ramp = torch::arange(100, torch::kFloat32).view({1, 1, 100}).repeat({8, 1, 1});
  const torch::Tensor s = phase_shuffle(ramp, 2);
  EXPECT_EQ(s.sizes(), ramp.sizes());
  EXPECT_LE((s - ramp).narrow(2, 2, 96).abs().max().item<float>(), 2.f);
}

TEST(WaveGan, TrainResumeSampleAndAugment) {
  TempDir dir;
  const std::string data = write_tone_collection(dir.file("data"), 3, 2);  // 3 labels x 3 songs x 2 s
  GanOptions o;
  o.data = data;
  o.out = dir.file("gan");
  o.model_size = 2;
  o.latent = 8;
  o.batch_size = 4;
  o.steps = 2;
  o.critic_steps = 2;
  o.slices_per_file = 2;
  o.checkpoint_every = 1;
  o.threads = 1;
  GanResult r = train_gan(o);
  EXPECT_EQ(r.steps, 2);
  EXPECT_EQ(r.slices, 9 * 2);
  EXPECT_TRUE(fs::exists(dir.file("gan/checkpoint.pt")));
  o.resume = true;
  o.steps = 3;
  r = train_gan(o);
  EXPECT_EQ(r.steps, 3);  // one more step from the checkpoint
  const std::string log = read_bytes(dir.file("gan/log.csv"));
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1 + 3);  // header + one line a step, the resumed one appended
  const auto files = sample_gan(r.model_path, 2, dir.file("samples"));
  ASSERT_EQ(files.size(), 3u * 2u);
  for (const char* label : {"high", "low", "noisy"}) EXPECT_TRUE(fs::is_directory(dir.file(std::string("samples/") + label)));
  const Audio a = load_audio(files[0], 0);
  EXPECT_EQ(a.sample_rate, kWaveGanRate);
  EXPECT_EQ(int64_t(a.samples.size()), kWaveGanSamples);
  EXPECT_THROW(sample_gan(dir.file("gan/log.csv"), 1, dir.file("x")), std::runtime_error);
  // A GAN file whose labels are not folder names is refused before anything is written.
  {
    WaveGanGenerator g(2, 8, 3);
    torch::serialize::OutputArchive bad;
    g->save(bad);
    bad.write("labels", c10::IValue(std::string(R"(["high","../escape","noisy"])")));
    bad.write("size", torch::tensor({2, 8, 3}, torch::kInt64));
    bad.save_to(dir.file("bad.pt"));
    EXPECT_THROW(sample_gan(dir.file("bad.pt"), 1, dir.file("bad/samples")), std::runtime_error);
    EXPECT_FALSE(fs::exists(dir.file("bad/escape")));
    EXPECT_FALSE(fs::exists(dir.file("bad/samples")));
  }

  // --augment-with: the generated clips join the training part; validation is unchanged.
  TrainOptions t = small_train_options(data, dir.file("plain"), "tiny", 1, 1);
  const TrainResult plain = train(t);
  t.out = dir.file("augmented");
  t.augment_with = dir.file("samples");
  const TrainResult more = train(t);
  EXPECT_EQ(more.train_clips, plain.train_clips + 6);
  EXPECT_EQ(more.valid_clips, plain.valid_clips);
  EXPECT_EQ(more.valid_chunks, plain.valid_chunks);
  EXPECT_EQ(load_model(more.model_path).meta["training"]["augment_with"], dir.file("samples"));
  // A label the collection has not is refused.
  fs::create_directories(dir.file("odd/polka"));
  fs::copy_file(files[0], dir.file("odd/polka/gan.polka.00000.wav"));
  t.augment_with = dir.file("odd");
  EXPECT_THROW(train(t), std::invalid_argument);
}
