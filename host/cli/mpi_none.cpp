// A single-process world: the CLI without MPI (mcrev/cli/mpi_world.hpp).
#include "cli/mpi_world.hpp"

#include <cstdlib>

namespace mcrev::mpi {

int init(int*, char***) {
  if (std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_SIZE")) {
    const char* n = std::getenv("OMPI_COMM_WORLD_SIZE");
    if (n && std::atoi(n) > 1) return -1;  // launched as several ranks, but built without MPI
  }
  return 1;
}
void finalize() {}
int rank() { return 0; }
int size() { return 1; }
int local_rank() { return 0; }
bool built_with_mpi() { return false; }
std::vector<std::string> gather(const std::string& mine) { return {mine}; }
int max_code(int code) { return code; }
int broadcast(int value) { return value; }
void abort_all(int) {}

}  // namespace mcrev::mpi
