#include "genre/examples.h"

#include <chrono>
#include <map>
#include <stdexcept>

#include "genre/parallel.h"

namespace genre {

ExampleSet load_examples(const Dataset& ds, const std::vector<Part>& parts, Part part, const FrontEnd& fe,
                         const FeatureCache& cache, size_t jobs, LoadReport* report,
                         const std::function<void(size_t, size_t)>& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<size_t> items;
  for (size_t i = 0; i < ds.items.size(); ++i)
    if (parts[i] == part) items.push_back(i);
  ExampleSet set;
  LoadReport local;
  LoadReport& rep = report ? *report : local;
  rep.files = items.size();
  std::map<std::string, size_t> clip_index;
  auto add_clip = [&](const Item& it) {
    auto [pos, inserted] = clip_index.emplace(it.song, set.clips.size());
    if (inserted) {
      set.clips.push_back(it.song);
      set.clip_label.push_back(ds.label_index(it.label));
    }
    return pos->second;
  };

  if (ds.kind == SourceKind::Table) {
    set.shape = {int64_t(ds.columns.size()), 1, 1};  // features as channels: standardised one by one
    for (size_t i : items) {
      const Item& it = ds.items[i];
      set.data.insert(set.data.end(), ds.table[it.row].begin(), ds.table[it.row].end());
      set.label.push_back(ds.label_index(it.label));
      set.clip.push_back(add_clip(it));
    }
    if (progress) progress(items.size(), items.size());
    return set;
  }

  set.shape = fe.shape();
  struct Result {
    ClipFeatures f;
    bool hit = false;
    std::string error;
  };
  size_t done = 0;
  parallel_ordered(
      items.size(), jobs,
      [&](size_t k) {
        Result r;
        try {
          r.f = cache.load(ds.items[items[k]].path, fe, &r.hit);
        } catch (const std::exception& e) {
          r.error = e.what();
        }
        return r;
      },
      [&](size_t k, Result r) {
        ++done;
        if (progress) progress(done, items.size());
        if (!r.error.empty()) {
          rep.failures.push_back(r.error);
          return;
        }
        if (!(r.f.shape == set.shape)) {
          rep.failures.push_back(ds.items[items[k]].path + ": unexpected feature shape");
          return;
        }
        rep.cache_hits += r.hit;
        if (r.f.count == 0) return;  // e.g. a crop copy of a clip that is short already
        const Item& it = ds.items[items[k]];
        const size_t clip = add_clip(it);
        set.data.insert(set.data.end(), r.f.data.begin(), r.f.data.end());
        for (size_t c = 0; c < r.f.count; ++c) {
          set.label.push_back(ds.label_index(it.label));
          set.clip.push_back(clip);
        }
      });
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return set;
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
}

}  // namespace genre
