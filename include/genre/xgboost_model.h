// Gradient-boosted trees through XGBoost's C API (Debian's libxgboost-dev), for feature tables:
// `genre train --model xgboost`. Objective multi:softprob; rounds = --epochs, early stopping on the
// validation log loss after --patience rounds without improvement.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace genre {

struct XgbParams {
  int rounds = 500, patience = 30, max_depth = 4, threads = 0;
  double eta = 0.1, subsample = 0.8, colsample = 0.8;
  uint64_t seed = 42;
};

class XgbModel {
 public:
  XgbModel() = default;
  // x: n x features row-major; y: class indices. Valid may be empty (then all rounds are kept).
  // progress(round, train_loss, train_acc, valid_loss, valid_acc) after every round.
  static XgbModel train(const std::vector<float>& x, const std::vector<int>& y, size_t features, size_t classes,
                        const std::vector<float>& valid_x, const std::vector<int>& valid_y, const XgbParams& p,
                        const std::function<void(int, double, double, double, double)>& progress = {});
  static XgbModel load(const std::vector<uint8_t>& bytes, size_t classes);
  // Class probabilities, n x classes row-major. Thread-safe.
  std::vector<float> predict(const float* x, size_t n, size_t features) const;
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  int best_round() const { return best_round_; }
  XgbModel with_round(int r) && {
    best_round_ = r;
    return std::move(*this);
  }

 private:
  struct Booster;
  std::shared_ptr<Booster> booster_;
  std::vector<uint8_t> bytes_;  // the saved (best) model, JSON
  size_t classes_ = 0;
  int best_round_ = 0;
};

}  // namespace genre
