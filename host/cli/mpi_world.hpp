// mcrev CLI: the MPI world (docs/scaling.md). Built against MPI when CMake finds it (mpi_world.cpp),
// else as a single-process stub (mpi_none.cpp). MPI is initialised only when the process was started
// by an MPI launcher (mpirun/mpiexec/srun set OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_SIZE), so a
// plain `mcrev run` never touches MPI.
#pragma once

#include <string>
#include <vector>

namespace mcrev::mpi {

/// Initialises MPI when launched by an MPI launcher; safe to call once. Returns the world size.
int init(int* argc, char*** argv);
/// Finalises MPI if init() initialised it.
void finalize();
int rank();
int size();
/// This rank's number among the ranks of its node (0 without MPI): rank-local GPU selection.
int local_rank();
/// True when this binary was built with MPI.
bool built_with_mpi();
/// Rank 0 receives every rank's bytes, in rank order; the others receive an empty vector.
std::vector<std::string> gather(const std::string& mine);
/// The largest code over all ranks (every rank must call it).
int max_code(int code);
/// Rank 0's value on every rank.
int broadcast(int value);
/// Ends every rank of the job with this exit code (MPI_Abort); returns only without MPI.
void abort_all(int code);

}  // namespace mcrev::mpi
