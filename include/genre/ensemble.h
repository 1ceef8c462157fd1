// An ensemble model file: the weighted mean of other genre models' clip probabilities, each model
// on its own front end (e.g. a transfer model on 16 kHz log-mel windows and logistic regression on
// the 57 GTZAN features of 30 s windows at 22050 Hz). The file holds no weights: its metadata names
// the member model files, relative to its own folder, and their weights. Torch-free: members are
// opened by whoever opens models (genre/predict.h's Predictor runs them).
#pragma once

#include <string>
#include <vector>

#include "genre/model_file.h"

namespace genre {

struct EnsembleMember {
  std::string path;   // as stored: relative to the ensemble file's folder (or absolute)
  double weight = 1;  // > 0; the weights are normalised to sum to 1
  ModelHeader header = {};  // ensemble_members(): the member's header, read once (not used by write_ensemble)
};

// Writes an ensemble of the given model files at `out`. The members must exist, be genre models
// with the same labels in the same order, not be ensembles themselves, and classify audio; weights
// must be positive and finite. Throws std::invalid_argument naming the member otherwise.
void write_ensemble(const std::string& out, const std::vector<EnsembleMember>& members, const std::string& description = "");

bool is_ensemble(const ModelHeader& header);
// The members of an ensemble header, paths resolved against the ensemble file's folder, weights
// normalised. Throws std::runtime_error naming the file for a damaged or inconsistent ensemble
// (a member missing, unreadable, or an ensemble itself).
std::vector<EnsembleMember> ensemble_members(const ModelHeader& header);

}  // namespace genre
