#include "genre/xgboost_model.h"
#include "genre/runtime.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace genre {

namespace {
void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string("xgboost: ") + what + ": " + XGBGetLastError());
}

struct Matrix {
  DMatrixHandle h = nullptr;
  Matrix(const float* x, size_t n, size_t f) {
    check(XGDMatrixCreateFromMat(x, bst_ulong(n), bst_ulong(f), std::numeric_limits<float>::quiet_NaN(), &h), "matrix");
  }
  ~Matrix() {
    if (h) XGDMatrixFree(h);
  }
};

double accuracy(const float* p, const std::vector<int>& y, size_t k) {
  size_t correct = 0;
  for (size_t i = 0; i < y.size(); ++i) correct += size_t(std::max_element(p + i * k, p + (i + 1) * k) - (p + i * k)) == size_t(y[i]);
  return y.empty() ? 0 : double(correct) / double(y.size());
}

double log_loss(const float* p, const std::vector<int>& y, size_t k) {
  double l = 0;
  for (size_t i = 0; i < y.size(); ++i) l -= std::log(std::max(1e-15, double(p[i * k + size_t(y[i])])));
  return y.empty() ? 0 : l / double(y.size());
}
}  // namespace

struct XgbModel::Booster {
  BoosterHandle h = nullptr;
  std::mutex m;  // predictions from several threads take turns
  ~Booster() {
    if (h) XGBoosterFree(h);
  }
};

XgbModel XgbModel::train(const std::vector<float>& x, const std::vector<int>& y, size_t features, size_t classes,
                         const std::vector<float>& vx, const std::vector<int>& vy, const XgbParams& p,
                         const std::function<void(int, double, double, double, double)>& progress) {
  const size_t n = y.size();
  Matrix train(x.data(), n, features);
  std::vector<float> labels(y.begin(), y.end());
  check(XGDMatrixSetFloatInfo(train.h, "label", labels.data(), bst_ulong(n)), "labels");
  std::unique_ptr<Matrix> valid;
  if (!vy.empty()) valid = std::make_unique<Matrix>(vx.data(), vy.size(), features);
  auto booster = std::make_shared<Booster>();
  check(XGBoosterCreate(&train.h, 1, &booster->h), "create");
  const int threads = p.threads > 0 ? p.threads : int(cores());
  const std::pair<const char*, std::string> params[] = {
      {"objective", "multi:softprob"},         {"num_class", std::to_string(classes)},
      {"max_depth", std::to_string(p.max_depth)}, {"eta", std::to_string(p.eta)},
      {"subsample", std::to_string(p.subsample)}, {"colsample_bytree", std::to_string(p.colsample)},
      {"seed", std::to_string(p.seed)},         {"nthread", std::to_string(threads)},
      {"verbosity", "0"}};
  for (const auto& [k, v] : params) check(XGBoosterSetParam(booster->h, k, v.c_str()), "parameter");
  XgbModel best;
  best.classes_ = classes;
  double best_loss = std::numeric_limits<double>::infinity();
  int since_best = 0;
  auto probs = [&](DMatrixHandle d, size_t rows) {
    bst_ulong len = 0;
    const float* out = nullptr;
    check(XGBoosterPredict(booster->h, d, 0, 0, 0, &len, &out), "predict");
    if (len != rows * classes) throw std::runtime_error("xgboost: unexpected prediction size");
    return std::vector<float>(out, out + len);
  };
  for (int round = 0; round < p.rounds; ++round) {
    check(XGBoosterUpdateOneIter(booster->h, round, train.h), "update");
    const auto tp = probs(train.h, n);
    const auto vp = valid ? probs(valid->h, vy.size()) : tp;
    const double train_loss = log_loss(tp.data(), y, classes);
    const double valid_loss = valid ? log_loss(vp.data(), vy, classes) : train_loss;
    if (progress)
      progress(round + 1, train_loss, accuracy(tp.data(), y, classes), valid_loss,
               valid ? accuracy(vp.data(), vy, classes) : 0.0);
    if (!valid || valid_loss < best_loss) {
      best_loss = valid_loss;
      since_best = 0;
      best.best_round_ = round + 1;
      bst_ulong len = 0;
      const char* buf = nullptr;
      check(XGBoosterSaveModelToBuffer(booster->h, "{\"format\": \"json\"}", &len, &buf), "save");
      best.bytes_.assign(reinterpret_cast<const uint8_t*>(buf), reinterpret_cast<const uint8_t*>(buf) + len);
    } else if (++since_best >= p.patience) {
      break;
    }
  }
  return load(best.bytes_, classes).with_round(best.best_round_);
}

XgbModel XgbModel::load(const std::vector<uint8_t>& bytes, size_t classes) {
  XgbModel m;
  m.classes_ = classes;
  m.bytes_ = bytes;
  m.booster_ = std::make_shared<Booster>();
  check(XGBoosterCreate(nullptr, 0, &m.booster_->h), "create");
  check(XGBoosterLoadModelFromBuffer(m.booster_->h, bytes.data(), bst_ulong(bytes.size())), "load");
  return m;
}

std::vector<float> XgbModel::predict(const float* x, size_t n, size_t features) const {
  if (!booster_) throw std::runtime_error("xgboost: no model");
  Matrix d(x, n, features);
  std::lock_guard<std::mutex> lock(booster_->m);
  bst_ulong len = 0;
  const float* out = nullptr;
  check(XGBoosterPredict(booster_->h, d.h, 0, 0, 0, &len, &out), "predict");
  if (len != n * classes_) throw std::runtime_error("xgboost: unexpected prediction size");
  return std::vector<float>(out, out + len);
}

}  // namespace genre
