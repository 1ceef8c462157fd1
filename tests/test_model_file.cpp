// The model file without torch: safetensors' layout round trip, and clear errors for files that
// are not genre models or are damaged.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "genre/atomic_file.h"
#include "genre/model_file.h"
#include "test_util.h"

using namespace genre;
using namespace genre::test;

namespace {
TensorFile small_file() {
  FrontEndParams fp;
  fp.input = InputKind::Table;
  TensorFile f;
  f.meta = {{"labels", {"x", "y"}}, {"frontend", to_json(fp)}, {"table_columns", {"a", "b", "c"}},
            {"model_config", to_json(ModelConfig{"logreg", {3, 1, 1}, 2, 0.0})}, {"parameters", 8}};
  const float w[6] = {1, 0, 0, 0, 1, 0}, b[2] = {0.5f, -0.5f}, mean[3] = {0, 0, 0}, sd[3] = {1, 1, 1};
  auto put = [&](const char* name, const float* v, std::vector<int64_t> shape, size_t n) {
    f.tensors[name] = {"F32", shape, std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(v), reinterpret_cast<const uint8_t*>(v + n))};
  };
  put("classifier.weight", w, {2, 3}, 6);
  put("classifier.bias", b, {2}, 2);
  put("input_mean", mean, {1, 3, 1, 1}, 3);
  put("input_std", sd, {1, 3, 1, 1}, 3);
  return f;
}


// The message of the runtime_error that f throws, or "" if none.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(ModelFile, RoundTripInSafetensorsLayout) {
  TempDir dir;
  const std::string path = dir.file("m.genre");
  write_model_file(path, small_file());
  const std::string raw = read_bytes(path);
  uint64_t n = 0;
  std::memcpy(&n, raw.data(), 8);  // little-endian header length, then the JSON header
  ASSERT_LT(8 + n, raw.size());
  EXPECT_EQ((8 + n) % 8, 0u);
  const auto header = nlohmann::json::parse(raw.substr(8, n));
  EXPECT_EQ(header["classifier.weight"]["dtype"], "F32");
  EXPECT_EQ(header["classifier.weight"]["shape"], nlohmann::json({2, 3}));
  EXPECT_TRUE(header["__metadata__"]["genre"].is_string());

  const TensorFile back = read_model_file(path);
  EXPECT_EQ(back.meta["format"], "genre-model");
  EXPECT_EQ(back.meta["format_version"], kModelFormatVersion);
  const TensorFile orig = small_file();
  ASSERT_EQ(back.tensors.size(), orig.tensors.size());
  for (const auto& [name, t] : orig.tensors) {
    EXPECT_EQ(back.tensors.at(name).shape, t.shape) << name;
    EXPECT_EQ(back.tensors.at(name).bytes, t.bytes) << name;
  }
  const ModelHeader h = read_model_header(path);
  EXPECT_EQ(h.labels, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(h.config.arch, "logreg");
  EXPECT_EQ(h.parameters, 8);
  EXPECT_EQ(h.frontend.input, InputKind::Table);

  // The torch-free runner: identity weights, so the logits are (x0 + 0.5, x1 - 0.5).
  const float x[3] = {1.f, 2.f, 7.f};
  double p[2];
  native_probabilities(back, h)(x, 1, p);
  EXPECT_NEAR(p[1], 1.0 / (1.0 + std::exp(1.5 - 1.5)), 1e-12);
  EXPECT_NEAR(p[0] + p[1], 1.0, 1e-12);
}

TEST(ModelFile, BadFilesAreNamedWithTheReason) {
  TempDir dir;
  const std::string good = dir.file("good.genre");
  write_model_file(good, small_file());
  const std::string raw = read_bytes(good);

  EXPECT_NE(error_of([&] { read_model_header(dir.file("missing.genre")); }).find("missing.genre: no such model file"), std::string::npos);
  write_bytes(dir.file("zip.genre"), std::string("PK\x03\x04", 4) + std::string(100, 'z'));
  EXPECT_NE(error_of([&] { read_model_header(dir.file("zip.genre")); }).find("zip.genre: not a genre model file (a torch archive"), std::string::npos);
  write_bytes(dir.file("text.genre"), "hello, this is not a model at all");
  EXPECT_NE(error_of([&] { read_model_file(dir.file("text.genre")); }).find("text.genre: not a genre model file"), std::string::npos);
  write_bytes(dir.file("cut.genre"), raw.substr(0, raw.size() - 5));
  EXPECT_NE(error_of([&] { read_model_file(dir.file("cut.genre")); }).find("cut.genre: damaged model file"), std::string::npos);

  TensorFile newer = small_file();
  write_model_file(dir.file("newer.genre"), newer);
  std::string s = read_bytes(dir.file("newer.genre"));
  const std::string v = "\\\"format_version\\\":" + std::to_string(kModelFormatVersion);
  ASSERT_NE(s.find(v), std::string::npos);
  s.replace(s.find(v), v.size(), "\\\"format_version\\\":9");  // same length: the header length holds
  write_bytes(dir.file("newer.genre"), s);
  EXPECT_NE(error_of([&] { read_model_header(dir.file("newer.genre")); }).find("newer genre"), std::string::npos);

  TensorFile bad = small_file();
  bad.tensors["classifier.weight"].shape = {2, 2};  // 6 floats stored, 4 declared
  EXPECT_THROW(write_model_file(dir.file("bad.genre"), bad), std::logic_error);
}

// Issue 11: every metadata field is range-checked, and the network's input must be what its front
// end produces; a bad field is one error naming the file and the field.
TEST(ModelFile, MetadataFieldsAreRangeChecked) {
  TempDir dir;
  FrontEndParams fp;  // mel, 4 s chunks: 1 x 128 x 173
  const Shape made = FrontEnd(fp).feature_shape();
  ASSERT_EQ(made.h, 128);
  auto meta_with = [&](const std::string& field, const nlohmann::json& value, bool in_frontend = true) {
    TensorFile f = small_file();
    f.meta["frontend"] = to_json(fp);
    f.meta["model_config"] = to_json(ModelConfig{"cnn4", made, 2, 0.3});
    if (in_frontend) f.meta["frontend"][field] = value;
    else f.meta["model_config"][field] = value;
    return f;
  };
  write_model_file(dir.file("ok.genre"), meta_with("hop_length", 512));
  EXPECT_NO_THROW(read_model_header(dir.file("ok.genre")));
  const std::vector<std::tuple<std::string, nlohmann::json, bool, std::string>> cases = {
      {"hop_length", 0, true, "hop_length"},
      {"hop_length", 0.5, true, "hop_length"},
      {"hop_length", -3, true, "hop_length"},
      {"n_fft", 1000000000, true, "n_fft"},
      {"sample_rate", 1000000000, true, "sample_rate"},
      {"sample_rate", "fast", true, "sample_rate"},
      {"n_mels", 1, true, "n_mels"},
      {"top_db", -5, true, "top_db"},
      {"chunk_seconds", 0, true, "chunk_seconds"},
      {"chunk_seconds", 1e9, true, "chunk_seconds"},
      {"mel_htk", 3, true, "mel_htk"},
      {"input", nlohmann::json::array({1, 128, 100}), false, "the front end makes 1 x 128 x 173"},
      {"input", nlohmann::json::array({1, 0, 173}), false, "input"},
      {"input", nlohmann::json::array({1, 128}), false, "input"},
      {"n_classes", 1, false, "n_classes"},
      {"dropout", 2, false, "dropout"},
  };
  for (const auto& [field, value, in_frontend, reason] : cases) {
    SCOPED_TRACE(field + " = " + value.dump());
    const std::string path = dir.file("bad.genre");
    write_model_file(path, meta_with(field, value, in_frontend));
    const std::string e = error_of([&] { read_model_header(path); });
    EXPECT_NE(e.find(path), std::string::npos) << e;
    EXPECT_NE(e.find(reason), std::string::npos) << e;
  }
}

TEST(FrontEndParams, ValidateNamesTheParameterAndItsRange) {
  FrontEndParams p;
  EXPECT_NO_THROW(validate_frontend(p));
  p.hop_length = 0;
  try {
    validate_frontend(p);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("hop_length = 0 is out of range (1 to n_fft)"), std::string::npos) << e.what();
  }
  p = {};
  p.n_mels = 2000;
  EXPECT_THROW(FrontEnd{p}, std::invalid_argument);
}

// Issue 11: every file genre writes is replaced atomically: until commit the old file stands,
// and an abandoned or failed write leaves no temporary behind.
TEST(AtomicFile, OldOrNewNeverTorn) {
  TempDir dir;
  const std::string path = dir.file("log.csv");
  write_bytes(path, "old\n");
  {
    AtomicFile f(path);
    f.stream() << "new, but abandoned\n";
    EXPECT_EQ(read_bytes(path), "old\n");  // not yet visible
  }
  EXPECT_EQ(read_bytes(path), "old\n");
  {
    AtomicFile f(path);
    f.stream() << "new\n";
    f.commit();
  }
  EXPECT_EQ(read_bytes(path), "new\n");
  EXPECT_THROW(write_atomically(path, [](const std::string& tmp) {
                 write_bytes(tmp, "half");
                 throw std::runtime_error("disk full");
               }),
               std::runtime_error);
  EXPECT_EQ(read_bytes(path), "new\n");
  write_atomically(path, [](const std::string& tmp) { write_bytes(tmp, "png"); });
  EXPECT_EQ(read_bytes(path), "png");
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);  // no temporaries left
  EXPECT_THROW(AtomicFile(dir.file("no/such/dir/x")), std::runtime_error);
}
