// genre ensemble: writes an ensemble model file (genre/ensemble.h) from member model files.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands.h"
#include "genre/ensemble.h"

namespace genre::cli {

void register_ensemble(CLI::App& app) {
  auto members = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto description = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "ensemble", "Write a model that averages other models' clip probabilities, each on its own front end");
  cmd->add_option("-m,--member", *members, "A member model file, optionally FILE:WEIGHT (default weight 1); two or more")
      ->required();
  cmd->add_option("-o,--out", *out, "The ensemble model file to write (members are stored relative to its folder)")->required();
  cmd->add_option("--description", *description, "A line for GET /api/model");
  cmd->callback([members, out, description] {
    std::vector<EnsembleMember> list;
    for (const auto& m : *members) {
      const size_t colon = m.rfind(':');
      EnsembleMember e{m, 1.0};
      if (colon != std::string::npos && colon + 1 < m.size()) {
        try {
          size_t used = 0;
          const double w = std::stod(m.substr(colon + 1), &used);
          if (used == m.size() - colon - 1) e = {m.substr(0, colon), w};
        } catch (const std::exception&) {
        }  // not a weight: the colon is part of the path
      }
      list.push_back(e);
    }
    write_ensemble(*out, list, *description);
    std::printf("wrote %s: %zu members\n", out->c_str(), list.size());
  });
}

}  // namespace genre::cli
