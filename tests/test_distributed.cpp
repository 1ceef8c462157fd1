// Data-parallel training (genre/distributed.h) through the genre executable: ranks on loopback,
// started by `genre train --nproc`, by hand (the environment contract) and by torchrun.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <chrono>
#include <random>
#include <thread>

#include "genre/model_file.h"
#include "test_util.h"

using namespace genre;
using namespace genre::test;
namespace fs = std::filesystem;

namespace {

// 48 songs of 3 labels, 5 features; the first two separate the labels. 48 = 3 batches of 16.
std::string make_table(const TempDir& dir) {
  std::ofstream csv(dir.file("t.csv"));
  csv << "filename,length,f1,f2,f3,f4,f5,label\n";
  std::mt19937 g(5);
  std::normal_distribution<float> n(0.f, 0.5f);
  const char* labels[] = {"a", "b", "c"};
  for (int song = 0; song < 48; ++song) {
    const int c = song % 3;
    csv << labels[c] << "." << 10000 + song << ".wav,66150," << (c == 1 ? 2.f : 0.f) + n(g) << "," << (c == 2 ? 2.f : 0.f) + n(g)
        << "," << n(g) << "," << n(g) << "," << n(g) << "," << labels[c] << "\n";
  }
  return dir.file("t.csv");
}

// 12 songs of 3 labels, 5 s each: 2 s chunks every 1 s make 48 chunks, 3 batches of 16.
std::string make_audio(const TempDir& dir) { return write_tone_collection(dir.file("audio"), 4, 5); }

int sh(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string train_args(const std::string& data, const std::string& out, int batch, int epochs = 3) {
  return std::string(" train --data ") + data + " --model mlp --out " + out + " --batch-size " + std::to_string(batch) +
         " --epochs " + std::to_string(epochs) + " --dropout 0 --lr 0.01 --split stratified:100/0/0 --cache none --threads 1 --seed 3";
}

// The largest |a - b| over every float tensor of two model files.
double max_weight_difference(const std::string& a, const std::string& b) {
  const TensorFile fa = read_model_file(a), fb = read_model_file(b);
  double worst = 0;
  size_t compared = 0;
  for (const auto& [name, ta] : fa.tensors) {
    if (ta.dtype != "F32") continue;
    const StoredTensor& tb = fb.tensors.at(name);
    EXPECT_EQ(ta.shape, tb.shape) << name;
    const auto* x = reinterpret_cast<const float*>(ta.bytes.data());
    const auto* y = reinterpret_cast<const float*>(tb.bytes.data());
    for (int64_t i = 0; i < ta.numel(); ++i) worst = std::max(worst, double(std::abs(x[i] - y[i])));
    ++compared;
  }
  EXPECT_GT(compared, 2u);
  return worst;
}

}  // namespace

// 2 ranks x batch 8 take the same steps as 1 process x batch 16: the same weights after 9 steps.
TEST(Distributed, TwoRanksOfBatch8EqualOneProcessOfBatch16) {
  TempDir dir;
  const std::string data = make_table(dir);
  ASSERT_EQ(sh(std::string(GENRE_BIN) + train_args(data, dir.file("one"), 16) + " > " + dir.file("one.log") + " 2>&1"), 0)
      << read_bytes(dir.file("one.log"));
  ASSERT_EQ(sh(std::string(GENRE_BIN) + " train --nproc 2 " + train_args(data, dir.file("two"), 8).substr(7) + " > " +
               dir.file("two.log") + " 2>&1"),
            0)
      << read_bytes(dir.file("two.log"));
  const double d = max_weight_difference(dir.file("one/model.genre"), dir.file("two/model.genre"));
  std::printf("max |w(1 x 16) - w(2 x 8)| after 9 steps: %.3g\n", d);
  EXPECT_LE(d, 1e-5);
  // One model, one log: rank 0 writes; the other rank printed nothing.
  EXPECT_TRUE(fs::exists(dir.file("two/log.csv")));
  const std::string log = read_bytes(dir.file("two.log"));
  ASSERT_NE(log.find("epoch   1"), std::string::npos) << log;
  EXPECT_EQ(log.find("epoch   1"), log.rfind("epoch   1")) << log;
  // A different batch split is a different run: the comparison can fail.
  ASSERT_EQ(sh(std::string(GENRE_BIN) + train_args(data, dir.file("eight"), 8) + " > /dev/null 2>&1"), 0);
  EXPECT_GT(max_weight_difference(dir.file("one/model.genre"), dir.file("eight/model.genre")), 1e-4);
}

// --accumulate 2 of batch 8 takes the steps of batch 16, on one process and on 2 ranks of batch 4.
TEST(Distributed, AccumulatedMicroBatchesEqualOneLargerBatch) {
  TempDir dir;
  const std::string data = make_table(dir);
  const std::string genre = GENRE_BIN;
  ASSERT_EQ(sh(genre + train_args(data, dir.file("one"), 16) + " > /dev/null 2>&1"), 0);
  ASSERT_EQ(sh(genre + train_args(data, dir.file("acc"), 8) + " --accumulate 2 > " + dir.file("acc.log") + " 2>&1"), 0)
      << read_bytes(dir.file("acc.log"));
  ASSERT_EQ(sh(genre + " train --nproc 2 --accumulate 2" + train_args(data, dir.file("two"), 4).substr(6) + " > " +
               dir.file("two.log") + " 2>&1"),
            0)
      << read_bytes(dir.file("two.log"));
  const double d1 = max_weight_difference(dir.file("one/model.genre"), dir.file("acc/model.genre"));
  const double d2 = max_weight_difference(dir.file("one/model.genre"), dir.file("two/model.genre"));
  std::printf("max |w(1 x 16) - w(1 x 8 x accumulate 2)|: %.3g; 2 ranks x 4 x accumulate 2: %.3g\n", d1, d2);
  EXPECT_LE(d1, 1e-5);
  EXPECT_LE(d2, 1e-5);
  // Rank 0 reports what the all-reduce cost: one call per step (the mlp's gradients fit one bucket).
  const std::string log = read_bytes(dir.file("two.log"));
  EXPECT_NE(log.find("all-reduce:  2 ranks"), std::string::npos) << log;
  EXPECT_NE(log.find("of gradients per step in 1.0 calls"), std::string::npos) << log;
  EXPECT_NE(log.find("(9 steps)"), std::string::npos) << log;
  EXPECT_EQ(read_model_file(dir.file("acc/model.genre")).meta["training"]["accumulate"], 2);
}

// Batch norm stays per rank (DistributedDataParallel's default): each rank normalises its 8
// examples with their own statistics, so 2 x 8 is not 1 x 16 to float rounding as it is without
// batch norm. It stays the same training: the difference is smaller than halving the batch makes.
TEST(Distributed, BatchNormIsPerRank) {
  TempDir dir;
  const std::string data = make_audio(dir);
  const std::string genre = GENRE_BIN;
  auto args = [&](const std::string& out, int batch) {
    return " --data " + data + " --model tiny --out " + dir.file(out) + " --batch-size " + std::to_string(batch) +
           " --epochs 2 --dropout 0 --lr 0.003 --split stratified:100/0/0 --cache none --threads 1 --seed 3 --chunk 2 --chunk-hop 1";
  };
  ASSERT_EQ(sh(genre + " train" + args("one", 16) + " > /dev/null 2>&1"), 0);
  ASSERT_EQ(sh(genre + " train" + args("eight", 8) + " > /dev/null 2>&1"), 0);
  ASSERT_EQ(sh(genre + " train --nproc 2" + args("two", 8) + " > " + dir.file("two.log") + " 2>&1"), 0)
      << read_bytes(dir.file("two.log"));
  const double per_rank = max_weight_difference(dir.file("one/model.genre"), dir.file("two/model.genre"));
  const double halved = max_weight_difference(dir.file("one/model.genre"), dir.file("eight/model.genre"));
  std::printf("tiny (batch norm), 6 steps: max |w(1 x 16) - w(2 x 8)| = %.3g; max |w(1 x 16) - w(1 x 8)| = %.3g\n", per_rank,
              halved);
  EXPECT_GT(per_rank, 1e-5);
  EXPECT_LT(per_rank, halved);
}

// torchrun --max_restarts 1: a killed rank makes torchrun restart both, and genre takes the run up
// from rank 0's last checkpoint by itself.
TEST(Distributed, TorchrunRestartResumesFromTheCheckpoint) {
  if (sh("command -v torchrun > /dev/null 2>&1") != 0) GTEST_SKIP() << "torchrun (python3-torch) is not installed";
  TempDir dir;
  const std::string data = make_table(dir);
  const int port = 20000 + (::getpid() + 29) % 20000;
  const int epochs = 60;
  const std::string out = dir.file("restart");
  const std::string cmd = "cd " + dir.path.string() + " && torchrun --redirects 2 --tee 2 --max_restarts 1 --nnodes 1 " +
                          "--nproc_per_node 2 --master_port " + std::to_string(port) + " --no_python " + GENRE_BIN +
                          train_args(data, out, 8, epochs) + " > " + dir.file("tr.log") + " 2>&1";
  int killed = -1;
  std::thread killer([&] {
    // Once rank 0 has checkpointed an epoch, SIGKILL the genre process that is rank 1.
    for (int i = 0; i < 1200 && !fs::exists(out + "/checkpoint.pt"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    for (const auto& e : fs::directory_iterator("/proc")) {
      const std::string pid = e.path().filename();
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string cmdline = read_bytes("/proc/" + pid + "/cmdline"), environ = read_bytes("/proc/" + pid + "/environ");
      std::replace(environ.begin(), environ.end(), '\0', '\n');
      if (cmdline.rfind(GENRE_BIN, 0) == 0 && cmdline.find(out) != std::string::npos && ("\n" + environ).find("\nRANK=1\n") != std::string::npos) {
        killed = ::kill(std::stoi(pid), SIGKILL);
        break;
      }
    }
  });
  const int status = sh(cmd);
  killer.join();
  const std::string log = read_bytes(dir.file("tr.log"));
  ASSERT_EQ(killed, 0) << "no rank 1 to kill: " << log;
  ASSERT_EQ(status, 0) << log;
  EXPECT_NE(log.find("resuming after epoch"), std::string::npos) << log;
  const std::string csv = read_bytes(out + "/log.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), epochs + 1) << csv;
}

// The standard environment contract, set by hand; a rank that dies makes the other fail within the
// timeout with a message saying so, and --resume finishes the run.
TEST(Distributed, ALostRankIsAClearErrorWithinTheTimeout) {
  TempDir dir;
  const std::string data = make_table(dir);
  const std::string args = train_args(data, dir.file("run"), 8, 3000) + " --dist-timeout 20";
  const std::string env = "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(20000 + ::getpid() % 20000);
  const std::string r0 = env + " RANK=0 " + GENRE_BIN + args + " > " + dir.file("r0.log") + " 2>&1";
  const std::string r1 = env + " RANK=1 exec " + GENRE_BIN + args + " > " + dir.file("r1.log") + " 2>&1";
  const auto t = std::chrono::steady_clock::now();
  FILE* rank1 = popen(("(" + r1 + ") & echo $!").c_str(), "r");
  int pid1 = 0;
  ASSERT_EQ(fscanf(rank1, "%d", &pid1), 1);
  pclose(rank1);
  std::thread killer([&] {
    // Kill rank 1 once training has begun (rank 0 has written a checkpoint).
    for (int i = 0; i < 600 && !fs::exists(dir.file("run/checkpoint.pt")); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::kill(pid1, SIGKILL);
  });
  const int status0 = sh(r0);
  killer.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  EXPECT_NE(status0, 0);
  const std::string log = read_bytes(dir.file("r0.log"));
  EXPECT_NE(log.find("distributed: rank 0 of 2"), std::string::npos) << log;
  EXPECT_LT(seconds, 60.0);
  // Two ranks take the run over from the last completed epoch and train two more. Rank 1's output
  // folder is empty (another node's disk): rank 0 sends it the checkpoint.
  const std::string csv = read_bytes(dir.file("run/log.csv"));
  const int done = int(std::count(csv.begin(), csv.end(), '\n')) - 1;
  ASSERT_GE(done, 1);
  ASSERT_LT(done, 3000) << "rank 0 finished before rank 1 was killed";
  const std::string env2 = "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(20000 + (::getpid() + 3) % 20000);
  const std::string resume = train_args(data, dir.file("run"), 8, done + 2) + " --resume";
  std::thread other([&] {
    sh(env2 + " RANK=1 " + GENRE_BIN + train_args(data, dir.file("elsewhere"), 8, done + 2) + " --resume > " + dir.file("resume1.log") + " 2>&1");
  });
  const int resumed = sh(env2 + " RANK=0 " + GENRE_BIN + resume + " > " + dir.file("resume.log") + " 2>&1");
  other.join();
  ASSERT_EQ(resumed, 0) << read_bytes(dir.file("resume.log")) << read_bytes(dir.file("resume1.log"));
  EXPECT_NE(read_bytes(dir.file("resume.log")).find("resuming after epoch " + std::to_string(done)), std::string::npos)
      << read_bytes(dir.file("resume.log"));
  EXPECT_FALSE(fs::exists(dir.file("elsewhere/checkpoint.pt")));
  const std::string after = read_bytes(dir.file("run/log.csv"));
  EXPECT_EQ(std::count(after.begin(), after.end(), '\n'), done + 3) << after;
}

// torchrun as Debian ships it (torch 1.13 on Python 3.11 needs --redirects and --tee set).
TEST(Distributed, UnderTorchrun) {
  if (sh("command -v torchrun > /dev/null 2>&1") != 0) GTEST_SKIP() << "torchrun (python3-torch) is not installed";
  TempDir dir;
  const std::string data = make_table(dir);
  const int port = 20000 + (::getpid() + 7) % 20000;
  const std::string cmd = "cd " + dir.path.string() + " && torchrun --redirects 2 --tee 2 --nnodes 1 --nproc_per_node 2 --master_port " +
                          std::to_string(port) + " --no_python " + GENRE_BIN + train_args(data, dir.file("tr"), 8) + " > " +
                          dir.file("tr.log") + " 2>&1";
  ASSERT_EQ(sh(cmd), 0) << read_bytes(dir.file("tr.log"));
  ASSERT_EQ(sh(std::string(GENRE_BIN) + train_args(data, dir.file("one"), 16) + " > /dev/null 2>&1"), 0);
  EXPECT_LE(max_weight_difference(dir.file("one/model.genre"), dir.file("tr/model.genre")), 1e-5);
}

// Two "nodes" on loopback: two torchrun invocations (one rank each) meet at 127.0.0.1, train
// together and write one model, equal to one process of the global batch. `rendezvous` is the
// torchrun options that make them meet; NODE is replaced by the node's rank.
static void two_nodes(const std::string& rendezvous) {
  TempDir dir;
  const std::string data = make_table(dir);
  auto node = [&](int r) {
    std::string rdzv = rendezvous;
    if (const size_t at = rdzv.find("NODE"); at != std::string::npos) rdzv.replace(at, 4, std::to_string(r));
    return "cd " + dir.path.string() + " && torchrun --redirects 2 --tee 2 --nnodes 2 --nproc_per_node 1 " + rdzv + " --no_python " +
           GENRE_BIN + train_args(data, dir.file("nodes"), 8) + " > " + dir.file("node" + std::to_string(r) + ".log") + " 2>&1";
  };
  int status1 = -1;
  std::thread second([&] { status1 = sh(node(1)); });
  const int status0 = sh(node(0));
  second.join();
  ASSERT_EQ(status0, 0) << read_bytes(dir.file("node0.log"));
  ASSERT_EQ(status1, 0) << read_bytes(dir.file("node1.log"));
  ASSERT_EQ(sh(std::string(GENRE_BIN) + train_args(data, dir.file("one"), 16) + " > /dev/null 2>&1"), 0);
  EXPECT_LE(max_weight_difference(dir.file("one/model.genre"), dir.file("nodes/model.genre")), 1e-5);
}

// torchrun's static rendezvous: --node_rank, --master_addr, --master_port.
TEST(Distributed, TwoNodesOnLoopback) {
  if (sh("command -v torchrun > /dev/null 2>&1") != 0) GTEST_SKIP() << "torchrun (python3-torch) is not installed";
  two_nodes("--node_rank NODE --master_addr 127.0.0.1 --master_port " + std::to_string(20000 + (::getpid() + 13) % 20000));
}

// torchrun's dynamic rendezvous: --rdzv_backend c10d --rdzv_endpoint HOST:PORT (the ranks are given
// out by the rendezvous; the agents pick MASTER_ADDR and MASTER_PORT).
TEST(Distributed, TwoNodesWithTheC10dRendezvous) {
  if (sh("command -v torchrun > /dev/null 2>&1") != 0) GTEST_SKIP() << "torchrun (python3-torch) is not installed";
  two_nodes("--rdzv_backend c10d --rdzv_endpoint 127.0.0.1:" + std::to_string(20000 + (::getpid() + 17) % 20000));
}
