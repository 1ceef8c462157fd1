// Classification metrics with scikit-learn's definitions (accuracy_score, top_k_accuracy_score,
// precision_recall_fscore_support with zero_division=0, roc_auc_score(multi_class='ovr',
// average='macro'), log_loss, confusion_matrix); tested against values computed by scikit-learn.
#pragma once

#include <string>
#include <vector>

namespace genre {

struct ClassMetrics {
  double precision = 0, recall = 0, f1 = 0, auroc = 0;  // auroc NaN when undefined
  size_t support = 0;
};

struct Metrics {
  std::vector<std::string> labels;
  size_t n = 0;
  double accuracy = 0, top2_accuracy = 0, log_loss = 0;
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;
  double weighted_precision = 0, weighted_recall = 0, weighted_f1 = 0;
  double macro_auroc = 0;  // over the classes present among the truths (and absent from some)
  std::vector<ClassMetrics> per_class;
  std::vector<std::vector<size_t>> confusion;  // [true][predicted]
};

// y_true[i] in [0, labels.size()); probs[i] is a probability row (it is renormalised after
// clipping to [1e-15, 1 - 1e-15], as log_loss does).
Metrics compute_metrics(const std::vector<int>& y_true, const std::vector<std::vector<double>>& probs,
                        const std::vector<std::string>& labels);

// Binary ROC AUC (Mann-Whitney U with average ranks for ties, = sklearn's trapezoidal ROC area).
double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive);

std::string metrics_markdown(const Metrics& m, const std::string& title);

}  // namespace genre
