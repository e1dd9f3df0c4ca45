#pragma once
// Where the processes of one distributed job meet, and who each one is: from explicit options
// (--rank --world-size --rendezvous tcp://host:port | file:///path), from torchrun's environment
// (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) or from Slurm's under srun (SLURM_PROCID,
// SLURM_STEP_NUM_TASKS or SLURM_NTASKS, the first host of SLURM_JOB_NODELIST). Pure functions:
// torch-free, any thread.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mitoseg {

/// What the command line said (-1 / empty = not given).
struct DistOptions {
    int rank = -1;
    int worldSize = -1;
    std::string rendezvous;          ///< tcp://host:port or file:///absolute/path
    double timeoutSeconds = 600;     ///< rendezvous and every collective; a dead or silent rank fails the others after this
};

/// The resolved rendezvous. worldSize 1 = a plain single-process run (no process group).
struct Rendezvous {
    enum class Kind { None, Tcp, File };
    Kind kind = Kind::None;
    int rank = 0;
    int worldSize = 1;
    std::string host;                ///< Tcp: the address of rank 0's store
    int port = 0;                    ///< Tcp
    std::string path;                ///< File: the store file, on a file system every rank sees
    std::string source;              ///< "options", "torchrun environment", "Slurm environment" or "single process"
    double timeoutSeconds = 600;
    bool distributed() const { return worldSize > 1; }
};

/// Looks up an environment variable (std::nullopt when unset). Tests pass a map.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process's real environment.
EnvLookup processEnvironment();

/// Resolves options, then the torchrun variables, then Slurm's (the first source that says
/// anything wins; explicit options must be complete). Throws mitoseg::Error naming the missing
/// or bad value (rank outside 0..world-1, bad URL, port out of range, ...).
Rendezvous resolveRendezvous(const DistOptions& options, const EnvLookup& env);

/// Parses tcp://host:port (IPv6 as tcp://[::1]:port) or file:///absolute/path into `r`.
/// Throws mitoseg::Error on anything else.
void parseRendezvousUrl(const std::string& url, Rendezvous& r);

/// Expands a Slurm host list such as "node[01-03,07],gpu5,r[1-2]n[3-4]" in Slurm's order,
/// keeping zero padding. Throws mitoseg::Error on bad syntax or more than `limit` hosts.
std::vector<std::string> expandSlurmNodelist(const std::string& list, std::size_t limit = 1000000);

}  // namespace mitoseg
