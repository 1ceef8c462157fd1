// The examples of one part of a split, in memory: every chunk of every clip as a C x H x W array,
// with its label and clip. Built from the feature cache when possible, in parallel; files that
// cannot be read are reported once and skipped.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "genre/dataset.h"
#include "genre/feature_cache.h"
#include "genre/frontend.h"
#include "genre/splits.h"

namespace genre {

struct ExampleSet {
  Shape shape;
  std::vector<float> data;        // count() * shape.size()
  std::vector<int> label;         // per example
  std::vector<size_t> clip;       // per example: index into clips
  std::vector<size_t> item;       // per example: index into the loaded Dataset's items (its file)
  std::vector<std::string> clips; // song ids
  std::vector<int> clip_label;
  size_t count() const { return label.size(); }
  const float* example(size_t i) const { return data.data() + i * size_t(shape.size()); }
};

// Appends b's examples to a (the same shape), as clips of their own: a's training part and its
// augmented copies (train --bandlimit-copies).
void append_examples(ExampleSet& a, const ExampleSet& b);

struct LoadReport {
  size_t files = 0, cache_hits = 0;
  std::vector<std::string> failures;  // "path: reason"
  double seconds = 0;
  // Files, cache hits and seconds of another load (its failures are the caller's to merge or not).
  void add_counts(const LoadReport& r) {
    files += r.files;
    cache_hits += r.cache_hits;
    seconds += r.seconds;
  }
};

// Features of the items of `ds` whose part is `part`. Table datasets use their rows (shape
// n_features x 1 x 1). `progress(done, total)` is called from the calling thread.
ExampleSet load_examples(const Dataset& ds, const std::vector<Part>& parts, Part part, const FrontEnd& fe,
                         const FeatureCache& cache, size_t jobs, LoadReport* report = nullptr,
                         const std::function<void(size_t, size_t)>& progress = {});
// The same through several front ends at once (an original and its training copies): one set per
// front end, each file decoded once. A file that fails in any of them is skipped in all, reported
// once. report->files counts file x front end.
std::vector<ExampleSet> load_examples(const Dataset& ds, const std::vector<Part>& parts, Part part,
                                      const std::vector<FrontEnd>& fes, const FeatureCache& cache, size_t jobs,
                                      LoadReport* report = nullptr,
                                      const std::function<void(size_t, size_t)>& progress = {});

}  // namespace genre
