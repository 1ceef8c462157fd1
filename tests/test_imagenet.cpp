// The ImageNet networks (genre/imagenet.h) and starting a model from pretrained weights:
//  - parity: fed the reference inputs of ../shared/weights/imagenet (or $GENRE_WEIGHTS_DIR/imagenet),
//    each network reproduces the Keras/numpy reference outputs within 1e-4 (mobilenet-v1-0.25's
//    1000 probabilities, the MobileNetV2 and SqueezeNet pooled features); skipped with a visible
//    message when the folder is absent;
//  - always: any spectrogram size and one channel run; --pretrained loads what matches and keeps
//    the rest; --freeze keeps the frozen layers (and their batch-norm statistics) as they were.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "genre/imagenet.h"
#include "genre/warm_start.h"
#include "genre/torch_model.h"
#include "genre/train.h"
#include "test_util.h"
#include "train_util.h"

namespace fs = std::filesystem;
using namespace genre;
using namespace genre::test;

namespace {

std::string imagenet_dir() {
  if (const char* env = std::getenv("GENRE_WEIGHTS_DIR")) return std::string(env) + "/imagenet";
  return source_dir() + "/../shared/weights/imagenet";
}

torch::Tensor read_input(const std::string& path) {
  const TensorFile f = read_safetensors(path);
  const StoredTensor& s = f.tensors.at("input");
  return torch::from_blob(const_cast<uint8_t*>(s.bytes.data()), s.shape, torch::kFloat32).clone();
}

std::vector<double> values(const nlohmann::json& j) { return j.get<std::vector<double>>(); }

double max_diff(const torch::Tensor& t, const std::vector<double>& ref) {
  const torch::Tensor r = torch::tensor(ref, torch::kFloat64);
  EXPECT_EQ(t.numel(), r.numel());
  if (t.numel() != r.numel()) return 1e30;
  return (t.flatten().to(torch::kFloat64) - r).abs().max().item<double>();
}

std::shared_ptr<ImageNetClassifierImpl> imagenet_model(const std::string& arch, int64_t classes, Shape input = {3, 224, 224}) {
  Classifier c = create_model({arch, input, classes, 0.0});
  auto m = std::dynamic_pointer_cast<ImageNetClassifierImpl>(c);
  EXPECT_TRUE(m) << arch;
  return m;
}

#define REQUIRE_IMAGENET()                                                                                     \
  if (!fs::exists(imagenet_dir() + "/mobilenet-v1-0.25/weights.safetensors"))                                  \
  GTEST_SKIP() << "SKIPPED: no ImageNet weights at " << imagenet_dir()                                        \
               << " (../shared/weights/imagenet or $GENRE_WEIGHTS_DIR/imagenet): parity not checked"

// One network on one reference: the output within 1e-4 of output.values.
void check_parity(const std::string& arch, const std::string& folder, const std::string& input_folder,
                  const std::string& which) {
  SCOPED_TRACE(arch + " " + which);
  const std::string dir = imagenet_dir() + "/" + folder;
  std::ifstream in(dir + "/reference/" + which + ".json");
  const auto ref = nlohmann::json::parse(in);
  const torch::Tensor x = read_input(imagenet_dir() + "/" + input_folder + "/reference/input_" + which + ".safetensors");
  const bool top = arch == "mobilenet-v1-0.25";
  auto net = imagenet_model(arch, top ? 1000 : 10);
  const PretrainedLoad pl = load_pretrained_weights(*net, dir + "/weights.safetensors");
  EXPECT_TRUE(pl.unused.empty()) << pl.unused.size() << " tensors of the file unused, e.g. " << pl.unused[0];
  for (const auto& k : pl.kept) EXPECT_EQ(k.rfind("classifier.", 0), 0u) << k << " not loaded";
  net->eval();
  torch::NoGradGuard g;
  const torch::Tensor f = net->features(x);
  if (!top) {
    const double d = max_diff(f, values(ref["output"]["values"]));
    std::printf("%s, %s input: features within %.2g of the reference\n", arch.c_str(), which.c_str(), d);
    EXPECT_LT(d, 1e-4);
    return;
  }
  EXPECT_LT(max_diff(f, values(ref["features"]["values"])), 1e-4);
  const torch::Tensor logits = net->classify(f);
  EXPECT_LT(max_diff(logits, values(ref["logits"]["values"])), 1e-3);
  const torch::Tensor p = torch::softmax(logits, 1);
  const double d = max_diff(p, values(ref["output"]["values"]));
  std::printf("%s, %s input: probabilities within %.2g of the reference\n", arch.c_str(), which.c_str(), d);
  EXPECT_LT(d, 1e-4);
  const auto top5 = std::get<1>(p.topk(5, 1));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(top5[0][i].item<int64_t>(), ref["top5"][i]["index"].get<int64_t>()) << i;
}

}  // namespace

TEST(ImageNet, MobileNetV1MatchesTheKerasReference) {
  REQUIRE_IMAGENET();
  for (const char* which : {"image", "random"}) check_parity("mobilenet-v1-0.25", "mobilenet-v1-0.25", "mobilenet-v1-0.25", which);
}

TEST(ImageNet, MobileNetV2MatchesTheKerasReference) {
  REQUIRE_IMAGENET();
  for (const char* which : {"image", "random"}) check_parity("mobilenet-v2-0.35", "mobilenet-v2-0.35", "mobilenet-v1-0.25", which);
}

TEST(ImageNet, SqueezeNetMatchesTheKerasReference) {
  REQUIRE_IMAGENET();
  for (const char* which : {"image", "random"}) check_parity("squeezenet-1.1", "squeezenet-1.1", "squeezenet-1.1", which);
}

// A one-channel log-mel of any size (odd and even, not square) gives logits and embeddings.
TEST(ImageNet, OneChannelSpectrogramsOfAnySize) {
  torch::NoGradGuard g;
  for (const char* arch : {"mobilenet-v1-0.25", "mobilenet-v2-0.35", "squeezenet-1.1"})
    for (Shape s : {Shape{1, 128, 173}, Shape{1, 96, 64}, Shape{3, 75, 101}}) {
      SCOPED_TRACE(std::string(arch) + " " + std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w));
      auto net = imagenet_model(arch, 10, s);
      net->eval();
      const torch::Tensor x = torch::randn({2, s.c, s.h, s.w});
      EXPECT_EQ(net->forward(x).sizes().vec(), (std::vector<int64_t>{2, 10}));
      EXPECT_EQ(net->embedding(x).size(1), net->embedding_size());
      EXPECT_TRUE(torch::isfinite(net->forward(x)).all().item<bool>());
    }
  EXPECT_THROW(create_model({"squeezenet-1.1", Shape{2, 64, 64}, 10, 0.0}), std::invalid_argument);
}

// With the shared weights: a 10-genre MobileNet v1 loads all but its classifier (the file's is for
// 1000 classes) and then differs from a fresh one only there.
TEST(ImageNet, PretrainedWeightsLoadIntoAGenreModel) {
  REQUIRE_IMAGENET();
  auto net = imagenet_model("mobilenet-v1-0.25", 10, {1, 128, 130});
  const PretrainedLoad pl = load_pretrained_weights(*net, imagenet_dir() + "/mobilenet-v1-0.25/weights.safetensors");
  EXPECT_EQ(pl.kept, (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
  EXPECT_EQ(pl.unused, (std::vector<std::string>{"conv_preds.bias", "conv_preds.weight"}));
  EXPECT_EQ(pl.loaded.size(), 137u - 2u);  // every tensor of the file but conv_preds
  EXPECT_THROW(load_pretrained_weights(*imagenet_model("squeezenet-1.1", 10),
                                       imagenet_dir() + "/mobilenet-v1-0.25/weights.safetensors"),
               std::runtime_error);
}

// A genre model file as the pretrained weights: every tensor but the input statistics.
TEST(ImageNet, AModelFileIsPretrainedWeightsForItsArchitecture) {
  TempDir dir;
  auto a = imagenet_model("squeezenet-1.1", 4, {1, 64, 80});
  a->set_input_stats(torch::tensor({3.f}), torch::tensor({2.f}));
  save_model(dir.file("a.genre"), *a, {{"labels", {"a", "b", "c", "d"}}, {"frontend", to_json(FrontEndParams{})}});
  torch::manual_seed(99);
  auto b = imagenet_model("squeezenet-1.1", 4, {1, 64, 80});
  const PretrainedLoad pl = load_pretrained_weights(*b, dir.file("a.genre"));
  EXPECT_TRUE(pl.kept.empty());
  auto pa = a->named_parameters();
  for (const auto& p : b->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pa[p.key()])) << p.key();
  EXPECT_EQ(b->named_buffers()["input_mean"].item<float>(), 0.f);  // the data's statistics are not taken
  EXPECT_THROW(load_pretrained_weights(*b, dir.file("none.genre")), std::runtime_error);
}

TEST(ImageNet, FreezeBackboneOrTheFirstLayers) {
  auto net = imagenet_model("mobilenet-v1-0.25", 10, {1, 64, 64});
  auto frozen = freeze_layers(*net, "3");  // conv1, conv1_bn, conv_dw_1
  EXPECT_EQ(frozen.size(), 3u);
  for (const auto& p : net->named_parameters()) {
    const bool first3 = p.key().rfind("conv1.", 0) == 0 || p.key().rfind("conv1_bn.", 0) == 0 || p.key().rfind("conv_dw_1.", 0) == 0;
    EXPECT_EQ(p.value().requires_grad(), !first3) << p.key();
  }
  auto net2 = imagenet_model("mobilenet-v2-0.35", 10, {1, 64, 64});
  freeze_layers(*net2, "backbone");
  for (const auto& p : net2->named_parameters()) EXPECT_EQ(p.value().requires_grad(), is_head_parameter(p.key())) << p.key();
  EXPECT_THROW(freeze_layers(*net2, "many"), std::invalid_argument);
  EXPECT_THROW(freeze_layers(*net2, "100000"), std::invalid_argument);
  EXPECT_TRUE(freeze_layers(*net2, "").empty());
}

// genre train --pretrained A --freeze backbone: every pretrained tensor, batch-norm statistics
// included, is A's after training; the classifier trained. Then --freeze 2: all but 2 layers move.
TEST(ImageNet, TrainingWithAFrozenBackboneLeavesItAsLoaded) {
  TempDir dir;
  const std::string data = write_tone_collection(dir.file("data"), 4, 3);
  TrainOptions o = small_train_options(data, dir.file("a"), "mobilenet-v1-0.25", 1, 1);
  const TrainResult a = train(o);
  o.out = dir.file("b");
  o.pretrained = a.model_path;
  o.freeze = "backbone";
  o.seed = 7;
  o.epochs = 2;
  const TrainResult b = train(o);
  const LoadedModel ma = load_model(a.model_path), mb = load_model(b.model_path);
  EXPECT_EQ(mb.meta["training"]["pretrained"]["freeze"], "backbone");
  auto pa = ma.net->named_parameters(), ba = ma.net->named_buffers();
  for (const auto& p : mb.net->named_parameters())
    EXPECT_EQ(torch::equal(p.value(), pa[p.key()]), !is_head_parameter(p.key())) << p.key();
  for (const auto& buf : mb.net->named_buffers())
    if (buf.key().find("running_") != std::string::npos) EXPECT_TRUE(torch::equal(buf.value(), ba[buf.key()])) << buf.key();
  o.out = dir.file("c");
  o.freeze = "2";
  o.epochs = 1;
  const LoadedModel mc = load_model(train(o).model_path);
  int same = 0;
  for (const auto& p : mc.net->named_parameters()) same += torch::equal(p.value(), pa[p.key()]);
  EXPECT_EQ(same, 1 + 2);  // conv1.weight, conv1_bn.weight, conv1_bn.bias
  o.freeze = "x";
  EXPECT_THROW(train(o), std::invalid_argument);
}
