#include "genre/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace genre {

double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  const size_t n = scores.size();
  for (double s : scores)
    if (std::isnan(s)) return std::numeric_limits<double>::quiet_NaN();  // undefined, as the ordering is
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0;
  size_t n_pos = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double avg_rank = 0.5 * double(i + 1 + j);  // ranks i+1 .. j
    for (size_t k = i; k < j; ++k)
      if (positive[order[k]]) rank_sum += avg_rank;
    i = j;
  }
  for (bool p : positive) n_pos += p;
  const size_t n_neg = n - n_pos;
  if (n_pos == 0 || n_neg == 0) return std::numeric_limits<double>::quiet_NaN();
  return (rank_sum - double(n_pos) * double(n_pos + 1) / 2.0) / (double(n_pos) * double(n_neg));
}

Metrics compute_metrics(const std::vector<int>& y_true, const std::vector<std::vector<double>>& probs,
                        const std::vector<std::string>& labels) {
  const size_t k = labels.size();
  if (y_true.size() != probs.size()) throw std::invalid_argument("metrics: truths and predictions differ in count");
  Metrics m;
  m.labels = labels;
  m.n = y_true.size();
  m.per_class.assign(k, {});
  m.confusion.assign(k, std::vector<size_t>(k, 0));
  if (m.n == 0) return m;
  size_t correct = 0, top2 = 0;
  double loss = 0;
  for (size_t i = 0; i < m.n; ++i) {
    const auto& p = probs[i];
    if (p.size() != k) throw std::invalid_argument("metrics: a probability row has the wrong length");
    const int t = y_true[i];
    if (t < 0 || size_t(t) >= k) throw std::invalid_argument("metrics: label index out of range");
    const size_t pred = size_t(std::max_element(p.begin(), p.end()) - p.begin());
    m.confusion[size_t(t)][pred]++;
    correct += pred == size_t(t);
    // top-2: the truth is among the two highest scores
    size_t higher = 0;
    for (size_t c = 0; c < k; ++c) higher += p[c] > p[size_t(t)];
    top2 += higher < 2;
    // log_loss: clip, renormalise, -log p[true]
    double sum = 0;
    for (double v : p) sum += std::clamp(v, 1e-15, 1 - 1e-15);
    loss -= std::log(std::clamp(p[size_t(t)], 1e-15, 1 - 1e-15) / sum);
  }
  m.accuracy = double(correct) / double(m.n);
  m.top2_accuracy = double(top2) / double(m.n);
  m.log_loss = loss / double(m.n);
  size_t auroc_classes = 0;
  for (size_t c = 0; c < k; ++c) {
    size_t tp = m.confusion[c][c], predicted = 0, actual = 0;
    for (size_t r = 0; r < k; ++r) {
      predicted += m.confusion[r][c];
      actual += m.confusion[c][r];
    }
    auto& pc = m.per_class[c];
    pc.support = actual;
    pc.precision = predicted ? double(tp) / double(predicted) : 0.0;
    pc.recall = actual ? double(tp) / double(actual) : 0.0;
    pc.f1 = pc.precision + pc.recall > 0 ? 2 * pc.precision * pc.recall / (pc.precision + pc.recall) : 0.0;
    std::vector<double> scores(m.n);
    std::vector<bool> pos(m.n);
    for (size_t i = 0; i < m.n; ++i) {
      scores[i] = probs[i][c];
      pos[i] = size_t(y_true[i]) == c;
    }
    pc.auroc = roc_auc(scores, pos);
    if (!std::isnan(pc.auroc)) {
      m.macro_auroc += pc.auroc;
      ++auroc_classes;
    }
    m.macro_precision += pc.precision / double(k);
    m.macro_recall += pc.recall / double(k);
    m.macro_f1 += pc.f1 / double(k);
    const double w = double(actual) / double(m.n);
    m.weighted_precision += w * pc.precision;
    m.weighted_recall += w * pc.recall;
    m.weighted_f1 += w * pc.f1;
  }
  m.macro_auroc = auroc_classes ? m.macro_auroc / double(auroc_classes) : std::numeric_limits<double>::quiet_NaN();
  return m;
}

std::string metrics_markdown(const Metrics& m, const std::string& title) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(3);
  s << "## " << title << "\n\n";
  s << "| n | accuracy | top-2 accuracy | macro F1 | macro AUROC | log loss |\n|---|---|---|---|---|---|\n";
  s << "| " << m.n << " | " << m.accuracy << " | " << m.top2_accuracy << " | " << m.macro_f1 << " | " << m.macro_auroc
    << " | " << m.log_loss << " |\n\n";
  s << "| class | precision | recall | F1 | AUROC | support |\n|---|---|---|---|---|---|\n";
  for (size_t c = 0; c < m.labels.size(); ++c) {
    const auto& pc = m.per_class[c];
    s << "| " << m.labels[c] << " | " << pc.precision << " | " << pc.recall << " | " << pc.f1 << " | ";
    if (std::isnan(pc.auroc)) s << "n/a"; else s << pc.auroc;
    s << " | " << pc.support << " |\n";
  }
  s << "| **macro avg** | " << m.macro_precision << " | " << m.macro_recall << " | " << m.macro_f1 << " | "
    << m.macro_auroc << " | " << m.n << " |\n";
  s << "| **weighted avg** | " << m.weighted_precision << " | " << m.weighted_recall << " | " << m.weighted_f1
    << " | | " << m.n << " |\n\n";
  s << "Confusion matrix (rows: true, columns: predicted)\n\n```\n";
  size_t w = 6;
  for (const auto& l : m.labels) w = std::max(w, l.size() + 1);
  s << std::string(w, ' ');
  for (const auto& l : m.labels) s << ' ' << l.substr(0, 5) << std::string(l.size() < 5 ? 5 - l.size() : 0, ' ');
  s << '\n';
  for (size_t r = 0; r < m.labels.size(); ++r) {
    s << m.labels[r] << std::string(w - m.labels[r].size(), ' ');
    for (size_t c = 0; c < m.labels.size(); ++c) {
      std::string v = std::to_string(m.confusion[r][c]);
      s << ' ' << std::string(v.size() < 5 ? 5 - v.size() : 0, ' ') << v;
    }
    s << '\n';
  }
  s << "```\n";
  return s.str();
}

}  // namespace genre
