// Linear discriminant analysis: a linear classifier fitted in closed form, as scikit-learn's
// LinearDiscriminantAnalysis(solver="lsqr", shrinkage=...) fits it. Each class is a Gaussian with
// its own mean and one covariance shared by all classes (the classes' covariances weighted by their
// priors); the logit of class c is x . coef_c + intercept_c with coef_c = cov^-1 mean_c and
// intercept_c = -mean_c . coef_c / 2 + log prior_c, and its probabilities are their softmax: the
// form of a logistic regression, so it runs wherever logreg runs.
//
// Why a second fit for the same form: with few examples in many dimensions (a few hundred songs,
// hundreds of embedding values), the shrunk covariance is a better-conditioned estimate than
// gradient descent's, and every training example's variation within its genre, band-limited copies
// included, lowers the weight of the directions it varies in (README, "Linear discriminant analysis").
#pragma once

#include <cstddef>
#include <vector>

namespace genre {

struct LdaParams {
  // Each class's covariance S is shrunk to (1 - a) S + a (trace(S) / d) I. Negative ("auto"): a
  // chosen per class by the Ledoit-Wolf formula on the class's standardised examples, then scaled
  // back (scikit-learn's shrinkage="auto"). Otherwise 0 (none) to 1 (a diagonal of equal variances).
  double shrinkage = -1;
  // Priors: the classes' frequencies in the training examples (scikit-learn's default), or 1/k each.
  bool uniform_priors = false;
};

struct LinearFit {
  size_t classes = 0, dim = 0;
  std::vector<double> coef;       // classes x dim, row-major
  std::vector<double> intercept;  // classes
  std::vector<double> shrinkage;  // the shrinkage used for each class
};

// The most values per example: the covariance is d x d doubles (128 MB at 4096).
constexpr size_t kLdaMaxValues = 4096;

// x: n examples x d values (row-major), y: each example's class in [0, k). Every class needs at
// least one example, and d is at most kLdaMaxValues; throws std::invalid_argument otherwise.
LinearFit fit_lda(const float* x, size_t n, size_t d, const std::vector<int>& y, size_t k, const LdaParams& p = {});

// The Ledoit-Wolf shrinkage of n examples x d values (scikit-learn's ledoit_wolf_shrinkage with
// assume_centered=False): the a in [0, 1] that minimises the expected squared error of the shrunk
// covariance. 0 for d = 1 or n < 2.
double ledoit_wolf_shrinkage(const double* x, size_t n, size_t d);

}  // namespace genre
