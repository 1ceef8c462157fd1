#include <gtest/gtest.h>

#include "genre/model.h"

using namespace genre;

namespace {
ModelConfig config(const std::string& arch, Shape input) {
  ModelConfig c;
  c.arch = arch;
  c.input = input;
  c.n_classes = 10;
  return c;
}
}  // namespace

TEST(Models, EveryArchitectureMapsABatchToLogits) {
  torch::manual_seed(0);
  for (const auto& info : model_registry()) {
    if (info.frontend) continue;  // the pretrained taggers take their own front end: test_pretrained.cpp
    Shape in = info.inputs.front() == InputKind::Table ? Shape{57, 1, 1}
               : info.inputs.front() == InputKind::Mfcc ? Shape{1, 20, 87}
                                                          : Shape{info.inputs.front() == InputKind::Dual ? 2 : 1, 64, 87};
    Classifier m = create_model(config(info.name, in));
    m->eval();
    torch::NoGradGuard g;
    auto y = m->forward(torch::randn({3, in.c, in.h, in.w}));
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{3, 10})) << info.name;
    EXPECT_TRUE(torch::isfinite(y).all().item<bool>()) << info.name;
    EXPECT_GT(count_parameters(*m), 0) << info.name;
  }
}

// At initialisation a network's logits must still depend on its input. A plain stack of
// convolutions with libtorch's default init (weight variance 1 / (3 fan_in)) shrinks the signal's
// variance about six-fold per ReLU layer: VGG-16's logits were then the same for every input and
// it never left chance (loss ln 10 for 6 epochs on the spectrogram images). Measured as the spread
// of the logits over a batch of random inputs, relative to their size: in eval mode for networks
// without batch norm, in train mode (batch statistics) for those with it.
TEST(Models, LogitsDependOnTheInputAtInitialisation) {
  for (const auto& info : model_registry()) {
    if (info.inputs.front() == InputKind::Table || info.inputs.front() == InputKind::Mfcc) continue;
    if (info.frontend) continue;  // pretrained taggers: their weights are loaded, not initialised
    torch::manual_seed(1);
    const Shape in{info.inputs.front() == InputKind::Dual ? 2 : 1, 64, 87};
    Classifier m = create_model(config(info.name, in));
    bool batch_norm = false;
    for (const auto& sub : m->modules()) batch_norm |= sub->as<torch::nn::BatchNorm2d>() != nullptr;
    m->train(batch_norm);
    torch::NoGradGuard g;
    // Noise at eight loudness levels: global pooling averages i.i.d. noise down to nearly the same
    // features for every example, but not its level.
    const auto level = torch::logspace(-1, 1, 8).view({8, 1, 1, 1});
    const auto y = m->forward(torch::randn({8, in.c, in.h, in.w}) * level);
    const double spread = y.std(0).mean().item<double>(), size = y.abs().mean().item<double>() + 1e-12;
    EXPECT_GT(spread / size, 0.3) << info.name << ": spread " << spread << ", mean |logit| " << size;
  }
}

TEST(Models, ParameterCountsOfTheNamedSizes) {
  const Shape mel{1, 128, 173};
  // The sizes: tiny about 11k, cnn-large about 14M; the standard architectures as published
  // (1 input channel, 10 classes).
  EXPECT_NEAR(double(count_parameters(*create_model(config("tiny", mel)))), 11e3, 1e3);
  EXPECT_NEAR(double(count_parameters(*create_model(config("cnn-large", mel)))), 14e6, 0.5e6);
  EXPECT_NEAR(double(count_parameters(*create_model(config("resnet18", mel)))), 11.17e6, 0.05e6);
  EXPECT_NEAR(double(count_parameters(*create_model(config("densenet121", mel)))), 6.96e6, 0.05e6);
  EXPECT_NEAR(double(count_parameters(*create_model(config("mobilenet-v2", mel)))), 2.24e6, 0.03e6);
  EXPECT_NEAR(double(count_parameters(*create_model(config("vgg16", mel)))), 14.85e6, 0.1e6);
  // lstm: batch norm 2*20 + 4*(20*512 + 512*512 + 2*512) + 4*(512*256 + 256*256 + 2*256) + dense layers
  EXPECT_EQ(count_parameters(*create_model(config("lstm", {1, 20, 173}))),
            2 * 20 + 4 * (20 * 512 + 512 * 512 + 2 * 512) + 4 * (512 * 256 + 256 * 256 + 2 * 256) + (256 * 128 + 128) +
                (128 * 64 + 64) + (64 * 10 + 10));
  // Batch-norm statistics and the input standardisation are not trainable.
  Classifier bn = create_model(config("cnn4-bn", mel));
  EXPECT_GT(count_parameters(*bn, false), count_parameters(*create_model(config("cnn4", mel)), false));
}

TEST(Models, InputStandardisationIsPartOfTheModel) {
  Classifier m = create_model(config("logreg", {2, 1, 1}));
  m->eval();
  torch::NoGradGuard g;
  m->set_input_stats(torch::tensor({10.f, -5.f}), torch::tensor({2.f, 4.f}));
  auto a = m->forward(torch::tensor({12.f, -1.f}).reshape({1, 2, 1, 1}));  // standardised: (1, 1)
  auto b = m->forward(torch::tensor({10.f, -5.f}).reshape({1, 2, 1, 1}));  // standardised: (0, 0) -> bias only
  auto lin = m->named_parameters()["classifier.weight"];
  auto bias = m->named_parameters()["classifier.bias"];
  EXPECT_TRUE(torch::allclose(b[0], bias));
  EXPECT_TRUE(torch::allclose(a[0], bias + lin.sum(1)));
}

TEST(Models, SummaryListsStagesAndTotals) {
  Classifier m = create_model(config("cnn3", {1, 128, 173}));
  std::string s = model_summary(*m);
  EXPECT_NE(s.find("block1"), std::string::npos);
  EXPECT_NE(s.find("[N, 32, 64, 86]"), std::string::npos) << s;
  EXPECT_NE(s.find("[N, 10]"), std::string::npos);
  EXPECT_NE(s.find("total trainable parameters:     " + std::to_string(count_parameters(*m))), std::string::npos);
  EXPECT_THROW(find_model("nope"), std::invalid_argument);
}
