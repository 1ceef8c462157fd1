// genre's torchvision-named networks against torchvision itself: tests/torchvision_reference.py
// (Debian's python3-torchvision, random weights, nothing downloaded) saves each network as a
// torchvision .pth and its output on one input; scripts/pth_to_safetensors.py converts the
// checkpoint; genre's network started from it (load_pretrained_weights) must give the same output
// within 1e-4. Skipped with a visible message when /usr/bin/python3 has no torchvision.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "genre/warm_start.h"
#include "test_util.h"

using namespace genre;
using namespace genre::test;

namespace {

bool have_torchvision() { return std::system("/usr/bin/python3 -c 'import torchvision' >/dev/null 2>&1") == 0; }

torch::Tensor read_f32(const std::string& path, std::vector<int64_t> shape) {
  std::ifstream in(path, std::ios::binary);
  torch::Tensor t = torch::empty(shape, torch::kFloat32);
  in.read(reinterpret_cast<char*>(t.data_ptr<float>()), std::streamsize(t.numel() * 4));
  EXPECT_TRUE(in.good()) << path;
  return t;
}

// The references, made once for all tests of this file.
struct References {
  TempDir dir;
  nlohmann::json outputs;
  bool ok = false;
  References() {
    const std::string cmd = "/usr/bin/python3 " + source_dir() + "/tests/torchvision_reference.py " + dir.path.string();
    if (std::system(cmd.c_str()) != 0) return;
    std::ifstream in(dir.file("outputs.json"));
    outputs = nlohmann::json::parse(in);
    ok = true;
  }
};

References& refs() {
  static References r;
  return r;
}

// The network NAME (input channels C) started from the converted checkpoint.
Classifier from_checkpoint(const std::string& name, int64_t channels, PretrainedLoad* load = nullptr) {
  References& r = refs();
  const std::string st = r.dir.file(name + ".safetensors");
  const std::string cmd = "/usr/bin/python3 " + source_dir() + "/scripts/pth_to_safetensors.py " + r.dir.file(name + ".pth") +
                          " " + st + " >/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  Classifier net = create_model({name, {channels, 224, 224}, 1000, 0.0});
  const PretrainedLoad pl = load_pretrained_weights(*net, st);
  if (load) *load = pl;
  net->eval();
  return net;
}

double max_diff(const torch::Tensor& t, const nlohmann::json& ref) {
  const torch::Tensor r = torch::tensor(ref.get<std::vector<double>>(), torch::kFloat64);
  EXPECT_EQ(t.numel(), r.numel());
  return t.numel() == r.numel() ? (t.flatten().to(torch::kFloat64) - r).abs().max().item<double>() : 1e30;
}

#define REQUIRE_TORCHVISION()                                                                                   \
  if (!have_torchvision())                                                                                      \
    GTEST_SKIP() << "SKIPPED: /usr/bin/python3 has no torchvision (apt-get install python3-torchvision): "      \
                    "torchvision parity not checked";                                                           \
  ASSERT_TRUE(refs().ok) << "tests/torchvision_reference.py failed"

void check(const std::string& name) {
  PretrainedLoad pl;
  Classifier net = from_checkpoint(name, 3, &pl);
  EXPECT_TRUE(pl.kept.empty()) << name << ": " << pl.kept.size() << " tensors not loaded, e.g. " << pl.kept[0];
  EXPECT_TRUE(pl.unused.empty()) << name << ": " << pl.unused.size() << " tensors of the checkpoint unused, e.g. " << pl.unused[0];
  torch::NoGradGuard g;
  const torch::Tensor x = read_f32(refs().dir.file("input.f32"), {1, 3, 224, 224});
  const double d = max_diff(net->forward(x), refs().outputs[name]);
  std::printf("%s: logits within %.2g of torchvision's\n", name.c_str(), d);
  EXPECT_LT(d, 1e-4) << name;
}

// VGG-16: torchvision's `features` (the 13 convolutions) equal; genre's own head is not torchvision's.
void check_vgg16_features() {
  PretrainedLoad pl;
  Classifier net = from_checkpoint("vgg16", 3, &pl);
  EXPECT_EQ(pl.loaded.size(), 26u);  // 13 convolutions, weight and bias
  EXPECT_EQ(pl.kept, (std::vector<std::string>{"dense.weight", "dense.bias", "classifier.weight", "classifier.bias"}));
  torch::NoGradGuard g;
  torch::Tensor x = read_f32(refs().dir.file("input.f32"), {1, 3, 224, 224});
  for (auto& s : net->stages()) {
    x = s.module.forward(x);
    if (s.name == "gap") break;
  }
  EXPECT_LT(max_diff(x, refs().outputs["vgg16"]), 1e-4) << "vgg16";
}

// A one-channel model from RGB weights: the first convolution summed over the colours gives what
// torchvision gives on the grey input repeated into R, G and B.
void check_one_channel_from_rgb() {
  PretrainedLoad pl;
  Classifier net = from_checkpoint("resnet18", 1, &pl);
  EXPECT_TRUE(pl.kept.empty());
  torch::NoGradGuard g;
  const torch::Tensor grey = read_f32(refs().dir.file("grey.f32"), {1, 1, 224, 224});
  EXPECT_LT(max_diff(net->forward(grey), refs().outputs["resnet18-grey"]), 1e-4) << "resnet18, one channel";
}

}  // namespace

// One test, so that the references are made once (gtest_discover_tests runs each test alone).
TEST(Torchvision, EveryNetworkMatchesTorchvision) {
  REQUIRE_TORCHVISION();
  for (const char* name : {"resnet18", "mobilenet-v2", "densenet121", "efficientnet-b0"}) check(name);
  check_vgg16_features();
  check_one_channel_from_rgb();
}
