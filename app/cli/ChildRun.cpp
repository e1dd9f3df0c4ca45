#include "app/cli/ChildRun.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "core/base/Error.h"

namespace mitoseg::cli {

std::filesystem::path selfPath() { return std::filesystem::read_symlink("/proc/self/exe"); }

/// Runs `argv` (argv[0] a path) with `env` added; stdout and stderr captured; wait4's peak RSS.
ChildRun runChild(const std::vector<std::string>& argv, const std::vector<std::string>& env)
{
    ChildRun r;
    int fds[2];
    if (::pipe(fds) != 0)
        throw Error("cannot make a pipe for a child process");
    std::vector<char*> cargv;
    for (const auto& a : argv)
        cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid < 0)
        throw Error("cannot start a child process");
    if (pid == 0) {
        ::dup2(fds[1], 1);
        ::dup2(fds[1], 2);
        ::close(fds[0]);
        ::close(fds[1]);
        for (const auto& e : env)
            ::putenv(const_cast<char*>(e.c_str()));
        ::execv(cargv[0], cargv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
        r.output.append(buf, static_cast<std::size_t>(n));
        if (r.output.size() > (1u << 20))
            r.output.erase(0, r.output.size() - (1u << 19));
    }
    ::close(fds[0]);
    int status = 0;
    struct rusage ru {};
    ::wait4(pid, &status, 0, &ru);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.peakRssMb = static_cast<double>(ru.ru_maxrss) / 1024.0;
    r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!r.ok) {
        // The error line ("mitoseg CMD: ..."), else the last line of the output.
        std::string last = r.output.substr(0, r.output.find_last_not_of("\n") + 1);
        last = last.substr(last.find_last_of('\n') + 1);
        for (std::size_t at = 0; at < r.output.size();) {
            const std::size_t end = std::min(r.output.find('\n', at), r.output.size());
            if (r.output.compare(at, 8, "mitoseg ") == 0) {
                last = r.output.substr(at, end - at);
                break;
            }
            at = end + 1;
        }
        r.reason = (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status)) : "signal " + std::to_string(WTERMSIG(status))) +
                   (last.empty() ? "" : ": " + last);
    }
    return r;
}

}  // namespace mitoseg::cli
