#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>

#include "genre/metrics.h"
#include "test_util.h"

using namespace genre;
using namespace genre::test;

TEST(Metrics, MatchScikitLearn) {
  auto fixture = nlohmann::json::parse(read_bytes(data_dir() + "/sklearn/metrics.json"));
  size_t checked = 0;
  for (const auto& c : fixture["cases"]) {
    if (c.contains("auc")) {
      std::vector<bool> pos;
      for (int v : c["positive"]) pos.push_back(v != 0);
      EXPECT_NEAR(roc_auc(c["scores"].get<std::vector<double>>(), pos), c["auc"].get<double>(), 1e-12);
      ++checked;
      continue;
    }
    const std::string name = c["name"];
    auto m = compute_metrics(c["y_true"].get<std::vector<int>>(), c["probs"].get<std::vector<std::vector<double>>>(),
                             c["labels"].get<std::vector<std::string>>());
    EXPECT_NEAR(m.accuracy, c["accuracy"].get<double>(), 1e-12) << name;
    EXPECT_NEAR(m.top2_accuracy, c["top2_accuracy"].get<double>(), 1e-12) << name;
    EXPECT_NEAR(m.log_loss, c["log_loss"].get<double>(), 1e-9) << name;
    EXPECT_NEAR(m.macro_auroc, c["macro_auroc"].get<double>(), 1e-12) << name;
    EXPECT_NEAR(m.macro_f1, c["macro_f1"].get<double>(), 1e-12) << name;
    EXPECT_NEAR(m.weighted_f1, c["weighted_f1"].get<double>(), 1e-12) << name;
    EXPECT_NEAR(m.weighted_precision, c["weighted_precision"].get<double>(), 1e-12) << name;
    for (size_t k = 0; k < m.labels.size(); ++k) {
      EXPECT_NEAR(m.per_class[k].precision, c["precision"][k].get<double>(), 1e-12) << name << " class " << k;
      EXPECT_NEAR(m.per_class[k].recall, c["recall"][k].get<double>(), 1e-12) << name;
      EXPECT_NEAR(m.per_class[k].f1, c["f1"][k].get<double>(), 1e-12) << name;
      EXPECT_EQ(m.per_class[k].support, c["support"][k].get<size_t>()) << name;
      for (size_t j = 0; j < m.labels.size(); ++j) EXPECT_EQ(m.confusion[k][j], c["confusion"][k][j].get<size_t>());
    }
    ++checked;
  }
  EXPECT_EQ(checked, 4u);
}

TEST(Metrics, MarkdownNamesEveryClass) {
  auto m = compute_metrics({0, 1, 1}, {{0.9, 0.1}, {0.2, 0.8}, {0.6, 0.4}}, {"rock", "jazz"});
  EXPECT_DOUBLE_EQ(m.accuracy, 2.0 / 3.0);
  auto md = metrics_markdown(m, "valid");
  EXPECT_NE(md.find("| rock |"), std::string::npos);
  EXPECT_NE(md.find("| jazz |"), std::string::npos);
  EXPECT_THROW(compute_metrics({0, 3}, {{1, 0}, {0, 1}}, {"a", "b"}), std::invalid_argument);
  // A diverged model's NaN scores give an undefined AUROC, not a hang.
  EXPECT_TRUE(std::isnan(roc_auc({0.1, std::nan(""), 0.3}, {true, false, true})));
}
