#include "genre/examples.h"

#include <chrono>
#include <map>
#include <stdexcept>

#include "genre/parallel.h"

namespace genre {

namespace {
std::vector<size_t> items_of(const std::vector<Part>& parts, Part part) {
  std::vector<size_t> items;
  for (size_t i = 0; i < parts.size(); ++i)
    if (parts[i] == part) items.push_back(i);
  return items;
}

// Adds the chunks of one item to a set: its clip (song) once, then one example per chunk.
void add_item(ExampleSet& set, std::map<std::string, size_t>& clip_index, const Dataset& ds, size_t item,
              const float* data, size_t count) {
  const Item& it = ds.items[item];
  auto [pos, inserted] = clip_index.emplace(it.song, set.clips.size());
  if (inserted) {
    set.clips.push_back(it.song);
    set.clip_label.push_back(ds.label_index(it.label));
  }
  set.data.insert(set.data.end(), data, data + count * size_t(set.shape.size()));
  for (size_t c = 0; c < count; ++c) {
    set.label.push_back(ds.label_index(it.label));
    set.clip.push_back(pos->second);
    set.item.push_back(item);
  }
}
}  // namespace

std::vector<ExampleSet> load_examples(const Dataset& ds, const std::vector<Part>& parts, Part part,
                                      const std::vector<FrontEnd>& fes, const FeatureCache& cache, size_t jobs,
                                      LoadReport* report, const std::function<void(size_t, size_t)>& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<size_t> items = items_of(parts, part);
  if (fes.empty()) throw std::invalid_argument("load_examples: no front end");
  std::vector<ExampleSet> sets(fes.size());
  std::vector<std::map<std::string, size_t>> clip_index(fes.size());
  LoadReport local;
  LoadReport& rep = report ? *report : local;
  rep.files = items.size() * fes.size();

  if (ds.kind == SourceKind::Table) {
    if (fes.size() != 1) throw std::invalid_argument("load_examples: a table has one front end (its rows)");
    ExampleSet& set = sets[0];
    set.shape = {int64_t(ds.columns.size()), 1, 1};  // features as channels: standardised one by one
    for (size_t i : items) add_item(set, clip_index[0], ds, i, ds.table[ds.items[i].row].data(), 1);
    if (progress) progress(items.size(), items.size());
    return sets;
  }

  for (size_t j = 0; j < fes.size(); ++j) sets[j].shape = fes[j].shape();
  struct Result {
    std::vector<ClipFeatures> f;
    std::vector<bool> hits;
    std::string error;
  };
  size_t done = 0;
  parallel_ordered(
      items.size(), jobs,
      [&](size_t k) {
        Result r;
        try {
          r.f = cache.load(ds.items[items[k]].path, fes, &r.hits);
        } catch (const std::exception& e) {
          r.error = e.what();
        }
        return r;
      },
      [&](size_t k, Result r) {
        ++done;
        if (progress) progress(done, items.size());
        const Item& it = ds.items[items[k]];
        for (size_t j = 0; r.error.empty() && j < fes.size(); ++j)
          if (!(r.f[j].shape == sets[j].shape)) r.error = it.path + ": unexpected feature shape";
        if (!r.error.empty()) {  // the file and all its copies are skipped, reported once
          rep.failures.push_back(r.error);
          return;
        }
        for (size_t j = 0; j < fes.size(); ++j) {
          rep.cache_hits += r.hits[j];
          // No chunks: a crop copy of a clip that is short already.
          if (r.f[j].count > 0) add_item(sets[j], clip_index[j], ds, items[k], r.f[j].data.data(), r.f[j].count);
        }
      });
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sets;
}

ExampleSet load_examples(const Dataset& ds, const std::vector<Part>& parts, Part part, const FrontEnd& fe,
                         const FeatureCache& cache, size_t jobs, LoadReport* report,
                         const std::function<void(size_t, size_t)>& progress) {
  return std::move(load_examples(ds, parts, part, std::vector<FrontEnd>{fe}, cache, jobs, report, progress)[0]);
}

void append_examples(ExampleSet& a, const ExampleSet& b) {
  if (b.count() == 0) return;
  if (a.count() == 0) a.shape = b.shape;
  if (!(a.shape == b.shape)) throw std::invalid_argument("append_examples: the shapes differ");
  const size_t first_clip = a.clips.size();
  a.data.insert(a.data.end(), b.data.begin(), b.data.end());
  a.label.insert(a.label.end(), b.label.begin(), b.label.end());
  for (size_t c : b.clip) a.clip.push_back(first_clip + c);
  a.clips.insert(a.clips.end(), b.clips.begin(), b.clips.end());
  a.clip_label.insert(a.clip_label.end(), b.clip_label.begin(), b.clip_label.end());
  a.item.insert(a.item.end(), b.item.begin(), b.item.end());  // b's dataset's items (the same one for copies)
}

}  // namespace genre
