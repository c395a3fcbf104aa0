// The MPI world of the CLI (mcrev/cli/mpi_world.hpp): Open MPI or any MPI-3 library.
#include "cli/mpi_world.hpp"

#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <stdexcept>

namespace mcrev::mpi {

namespace {
bool g_initialised = false;
int g_rank = 0, g_size = 1, g_local_rank = 0;

bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_SIZE") ||
         std::getenv("PMI_RANK");
}
}  // namespace

int init(int* argc, char*** argv) {
  if (g_initialised || !launched_by_mpi()) return g_size;
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  g_initialised = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  // The rank within its node (ranks sharing memory): selects the rank's GPU.
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_rank, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &g_local_rank);
  MPI_Comm_free(&node);
  return g_size;
}

void finalize() {
  if (g_initialised) MPI_Finalize();
  g_initialised = false;
}

int rank() { return g_rank; }
int size() { return g_size; }
int local_rank() { return g_local_rank; }
bool built_with_mpi() { return true; }

std::vector<std::string> gather(const std::string& mine) {
  if (g_size == 1) return {mine};
  if (mine.size() > static_cast<size_t>(INT_MAX)) throw std::runtime_error("MPI: a rank's state exceeds 2 GiB");
  const int n = static_cast<int>(mine.size());
  std::vector<int> sizes(g_rank == 0 ? g_size : 0), offsets(sizes.size());
  MPI_Gather(&n, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string all;
  if (g_rank == 0) {
    long long total = 0;
    for (int r = 0; r < g_size; ++r) {
      offsets[r] = static_cast<int>(total);
      total += sizes[r];
      if (total > INT_MAX) throw std::runtime_error("MPI: the gathered states exceed 2 GiB");
    }
    all.resize(static_cast<size_t>(total));
  }
  MPI_Gatherv(mine.data(), n, MPI_CHAR, all.data(), sizes.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  std::vector<std::string> out;
  for (int r = 0; g_rank == 0 && r < g_size; ++r) out.push_back(all.substr(offsets[r], sizes[r]));
  return out;
}

int max_code(int code) {
  if (g_size == 1) return code;
  int out = code;
  MPI_Allreduce(&code, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return out;
}

int broadcast(int value) {
  if (g_size == 1) return value;
  MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return value;
}

void abort_all(int code) {
  if (g_initialised && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

}  // namespace mcrev::mpi
