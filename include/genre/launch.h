// genre train --nproc N: starts N local ranks of this same command line (without --nproc) with the
// environment torchrun gives its workers (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,
// MASTER_ADDR=127.0.0.1 and a free MASTER_PORT), waits for all of them, and stops the others when
// one fails. Returns the first failing rank's exit status, or 0. Torch-free.
#pragma once

namespace genre {

int spawn_local_ranks(int n);

}  // namespace genre
