// Linear discriminant analysis with a shrunk covariance (genre/lda.h), step by step as
// scikit-learn 1.2's LinearDiscriminantAnalysis(solver="lsqr") and sklearn.covariance compute it,
// in double precision on torch tensors.
#include "genre/lda.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace genre {

namespace {

torch::Tensor as_tensor(const double* x, size_t n, size_t d) {
  return torch::from_blob(const_cast<double*>(x), {int64_t(n), int64_t(d)}, torch::kFloat64);
}

// Ledoit-Wolf on examples already centred (sklearn.covariance.ledoit_wolf_shrinkage).
double ledoit_wolf_centred(const torch::Tensor& xc) {
  const double n = double(xc.size(0)), d = double(xc.size(1));
  if (xc.size(1) == 1 || xc.size(0) < 2) return 0.0;
  const torch::Tensor x2 = xc * xc;
  const torch::Tensor emp_cov_trace = x2.sum(0) / n;
  const double mu = emp_cov_trace.sum().item<double>() / d;
  const double delta_ = xc.t().mm(xc).pow(2).sum().item<double>() / (n * n);
  const double beta_ = x2.t().mm(x2).sum().item<double>();
  double beta = 1.0 / (d * n) * (beta_ / n - delta_);
  double delta = (delta_ - 2.0 * mu * emp_cov_trace.sum().item<double>() + d * mu * mu) / d;
  beta = std::min(beta, delta);
  return beta == 0 ? 0.0 : beta / delta;
}

// (1 - a) S + a (trace(S) / d) I
torch::Tensor shrunk(const torch::Tensor& s, double a) {
  const double mu = s.trace().item<double>() / double(s.size(0));
  return (1.0 - a) * s + a * mu * torch::eye(s.size(0), torch::kFloat64);
}

// One class's covariance (LinearDiscriminantAnalysis's _cov) and the shrinkage it took.
std::pair<torch::Tensor, double> class_covariance(const torch::Tensor& xg, double shrinkage) {
  const double n = double(xg.size(0));
  const torch::Tensor xc = xg - xg.mean(0, true);
  if (shrinkage >= 0) return {shrunk(xc.t().mm(xc) / n, shrinkage), shrinkage};
  // "auto": standardise (StandardScaler: the population sd, 1 where it is 0), Ledoit-Wolf, scale back.
  torch::Tensor sd = (xc * xc).mean(0).sqrt();
  sd = torch::where(sd == 0, torch::ones_like(sd), sd);
  const torch::Tensor z = xc / sd;
  const double a = ledoit_wolf_centred(z);
  const torch::Tensor s = shrunk(z.t().mm(z) / n, a);
  return {sd.unsqueeze(1) * s * sd.unsqueeze(0), a};
}

}  // namespace

double ledoit_wolf_shrinkage(const double* x, size_t n, size_t d) {
  const torch::Tensor t = as_tensor(x, n, d);
  return ledoit_wolf_centred(t - t.mean(0, true));
}

LinearFit fit_lda(const float* x, size_t n, size_t d, const std::vector<int>& y, size_t k, const LdaParams& p) {
  if (n == 0 || d == 0 || k == 0) throw std::invalid_argument("lda: no examples to fit");
  if (y.size() != n) throw std::invalid_argument("lda: one class per example is needed");
  for (int c : y)
    if (c < 0 || size_t(c) >= k) throw std::invalid_argument("lda: class " + std::to_string(c) + " is not one of the " + std::to_string(k));
  if (p.shrinkage > 1) throw std::invalid_argument("lda: shrinkage is 0 to 1, or auto");
  if (d > kLdaMaxValues)
    throw std::invalid_argument("lda: " + std::to_string(d) + " values per example would make a " + std::to_string(d) + " x " +
                                std::to_string(d) + " covariance; lda takes at most " + std::to_string(kLdaMaxValues) +
                                " (embeddings or feature rows, not spectrograms)");
  torch::NoGradGuard no_grad;
  const torch::Tensor X = torch::from_blob(const_cast<float*>(x), {int64_t(n), int64_t(d)}, torch::kFloat32).to(torch::kFloat64);
  const torch::Tensor Y = torch::tensor(std::vector<int64_t>(y.begin(), y.end()), torch::kInt64);
  LinearFit fit;
  fit.classes = k;
  fit.dim = d;
  torch::Tensor means = torch::zeros({int64_t(k), int64_t(d)}, torch::kFloat64);
  torch::Tensor cov = torch::zeros({int64_t(d), int64_t(d)}, torch::kFloat64);
  std::vector<double> priors(k);
  for (size_t c = 0; c < k; ++c) {
    const torch::Tensor idx = torch::nonzero(Y == int64_t(c)).squeeze(1);
    if (idx.numel() == 0) throw std::invalid_argument("lda: class " + std::to_string(c) + " has no training example");
    const torch::Tensor xg = X.index_select(0, idx);
    priors[c] = p.uniform_priors ? 1.0 / double(k) : double(idx.numel()) / double(n);
    means[int64_t(c)] = xg.mean(0);
    auto [s, a] = class_covariance(xg, p.shrinkage);
    cov += priors[c] * s;
    fit.shrinkage.push_back(a);
  }
  // coef = (cov^-1 means^T)^T by least squares, as scipy's lstsq: a covariance without shrinkage
  // can be singular (fewer examples than values).
  const torch::Tensor coef = std::get<0>(torch::linalg_lstsq(cov, means.t(), c10::nullopt, std::string("gelsd"))).t().contiguous();
  const torch::Tensor intercept = -0.5 * (means * coef).sum(1) + torch::log(torch::tensor(priors, torch::kFloat64));
  fit.coef.assign(coef.data_ptr<double>(), coef.data_ptr<double>() + coef.numel());
  fit.intercept.assign(intercept.data_ptr<double>(), intercept.data_ptr<double>() + k);
  for (double v : fit.coef)
    if (!std::isfinite(v)) throw std::runtime_error("lda: the fit is not finite (constant or duplicated values?)");
  return fit;
}

}  // namespace genre
