#include "core/dist/Rendezvous.h"

#include <cstdlib>

#include "core/base/Error.h"

namespace mitoseg {

namespace {

/// A whole non-negative decimal number below `limit`, else Error naming `what`.
long long wholeNumber(const std::string& text, const std::string& what, long long limit)
{
    if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos)
        throw Error(what + " must be a whole number, got '" + text + "'");
    const long long v = std::stoll(text);
    if (v >= limit)
        throw Error(what + " is too large: " + text);
    return v;
}

void checkRanks(Rendezvous& r)
{
    if (r.worldSize < 1)
        throw Error("world size must be at least 1, got " + std::to_string(r.worldSize) + " (" + r.source + ")");
    if (r.rank < 0 || r.rank >= r.worldSize)
        throw Error("rank " + std::to_string(r.rank) + " is outside 0.." + std::to_string(r.worldSize - 1) + " (" + r.source + ")");
}

/// Splits at commas outside brackets.
std::vector<std::string> splitTopLevel(const std::string& s, const std::string& whole)
{
    std::vector<std::string> parts;
    int depth = 0;
    std::string cur;
    for (char c : s) {
        if (c == '[')
            ++depth;
        if (c == ']' && --depth < 0)
            throw Error("bad Slurm node list '" + whole + "': unbalanced ']'");
        if (c == ',' && depth == 0) {
            parts.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (depth != 0)
        throw Error("bad Slurm node list '" + whole + "': unbalanced '['");
    parts.push_back(cur);
    return parts;
}

void expandItem(const std::string& item, const std::string& whole, std::vector<std::string>& out, std::size_t limit)
{
    const auto open = item.find('[');
    if (open == std::string::npos) {
        if (item.empty())
            throw Error("bad Slurm node list '" + whole + "': empty host name");
        out.push_back(item);
        return;
    }
    const auto close = item.find(']', open);
    const std::string prefix = item.substr(0, open), rest = item.substr(close + 1);
    std::string ranges = item.substr(open + 1, close - open - 1);
    std::vector<std::string> heads;
    std::size_t pos = 0;
    while (pos <= ranges.size()) {
        auto comma = ranges.find(',', pos);
        const std::string r = ranges.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        pos = comma == std::string::npos ? ranges.size() + 1 : comma + 1;
        const auto dash = r.find('-');
        const std::string a = r.substr(0, dash), b = dash == std::string::npos ? a : r.substr(dash + 1);
        const long long lo = wholeNumber(a, "Slurm node list '" + whole + "': range bound", 1000000000LL);
        const long long hi = wholeNumber(b, "Slurm node list '" + whole + "': range bound", 1000000000LL);
        if (hi < lo)
            throw Error("bad Slurm node list '" + whole + "': range " + r + " runs backwards");
        if (static_cast<std::size_t>(hi - lo) >= limit)
            throw Error("Slurm node list '" + whole + "' names more than " + std::to_string(limit) + " hosts");
        const std::size_t width = a.size();
        for (long long v = lo; v <= hi; ++v) {
            std::string n = std::to_string(v);
            if (n.size() < width)
                n.insert(0, width - n.size(), '0');
            heads.push_back(prefix + n);
        }
    }
    for (const auto& h : heads) {
        // Later bracket groups (r[1-2]n[3-4]) expand inside each head, in order.
        std::vector<std::string> tails;
        if (rest.empty())
            tails.push_back("");
        else
            expandItem("x" + rest, whole, tails, limit);
        for (const auto& t : tails) {
            out.push_back(h + (rest.empty() ? "" : t.substr(1)));
            if (out.size() > limit)
                throw Error("Slurm node list '" + whole + "' names more than " + std::to_string(limit) + " hosts");
        }
    }
}

}  // namespace

EnvLookup processEnvironment()
{
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (!v)
            return std::nullopt;
        return std::string(v);
    };
}

std::vector<std::string> expandSlurmNodelist(const std::string& list, std::size_t limit)
{
    if (list.empty())
        throw Error("empty Slurm node list");
    std::vector<std::string> out;
    for (const auto& item : splitTopLevel(list, list))
        expandItem(item, list, out, limit);
    return out;
}

void parseRendezvousUrl(const std::string& url, Rendezvous& r)
{
    const std::string hint = " (expected tcp://HOST:PORT or file:///ABSOLUTE/PATH)";
    if (url.rfind("file://", 0) == 0) {
        r.kind = Rendezvous::Kind::File;
        r.path = url.substr(7);
        if (r.path.empty() || r.path[0] != '/' || r.path.back() == '/')
            throw Error("bad rendezvous '" + url + "': the file path must be absolute and name a file" + hint);
        return;
    }
    if (url.rfind("tcp://", 0) != 0)
        throw Error("bad rendezvous '" + url + "'" + hint);
    std::string rest = url.substr(6);
    std::string host, port;
    if (!rest.empty() && rest[0] == '[') {
        const auto close = rest.find(']');
        if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
            throw Error("bad rendezvous '" + url + "'" + hint);
        host = rest.substr(1, close - 1);
        port = rest.substr(close + 2);
    } else {
        const auto colon = rest.rfind(':');
        if (colon == std::string::npos)
            throw Error("bad rendezvous '" + url + "': no port" + hint);
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    if (host.empty() || host.find('/') != std::string::npos)
        throw Error("bad rendezvous '" + url + "': no host" + hint);
    r.kind = Rendezvous::Kind::Tcp;
    r.host = host;
    r.port = static_cast<int>(wholeNumber(port, "rendezvous port in '" + url + "'", 65536));
    if (r.port == 0)
        throw Error("bad rendezvous '" + url + "': port 0");
}

Rendezvous resolveRendezvous(const DistOptions& o, const EnvLookup& env)
{
    Rendezvous r;
    r.timeoutSeconds = o.timeoutSeconds;
    if (!(o.timeoutSeconds > 0))
        throw Error("the distributed timeout must be positive");
    auto need = [&](const std::string& name, const std::string& why) {
        auto v = env(name);
        if (!v || v->empty())
            throw Error(name + " is not set (" + why + ")");
        return *v;
    };
    if (o.rank >= 0 || o.worldSize >= 0 || !o.rendezvous.empty()) {
        r.source = "options";
        if (o.worldSize < 0)
            throw Error("--world-size is missing (--rank and --rendezvous need it)");
        if (o.rank < 0)
            throw Error("--rank is missing (--world-size and --rendezvous need it)");
        r.rank = o.rank;
        r.worldSize = o.worldSize;
        checkRanks(r);
        if (r.worldSize > 1) {
            if (o.rendezvous.empty())
                throw Error("--rendezvous is missing (tcp://HOST:PORT of rank 0, or file:///PATH on a shared file system)");
            parseRendezvousUrl(o.rendezvous, r);
        }
        return r;
    }
    if (env("WORLD_SIZE")) {
        r.source = "torchrun environment";
        const std::string why = "WORLD_SIZE is set, so the torchrun variables RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT are used";
        r.worldSize = static_cast<int>(wholeNumber(need("WORLD_SIZE", why), "WORLD_SIZE", 1 << 20));
        r.rank = static_cast<int>(wholeNumber(need("RANK", why), "RANK", 1 << 20));
        checkRanks(r);
        if (r.worldSize > 1)
            parseRendezvousUrl("tcp://" + need("MASTER_ADDR", why) + ":" + need("MASTER_PORT", why), r);
        return r;
    }
    if (env("SLURM_PROCID")) {
        auto tasks = env("SLURM_STEP_NUM_TASKS");
        if (!tasks)
            tasks = env("SLURM_NTASKS");
        if (tasks) {
            r.source = "Slurm environment";
            r.worldSize = static_cast<int>(wholeNumber(*tasks, "SLURM_NTASKS", 1 << 20));
            r.rank = static_cast<int>(wholeNumber(*env("SLURM_PROCID"), "SLURM_PROCID", 1 << 20));
            checkRanks(r);
            if (r.worldSize > 1) {
                std::string host;
                if (auto a = env("MASTER_ADDR"); a && !a->empty()) {
                    host = *a;
                } else {
                    auto list = env("SLURM_STEP_NODELIST");
                    if (!list)
                        list = env("SLURM_JOB_NODELIST");
                    if (!list || list->empty())
                        throw Error("SLURM_JOB_NODELIST is not set (needed for rank 0's host under Slurm; or set MASTER_ADDR)");
                    host = expandSlurmNodelist(*list).front();
                }
                std::string port = "29500";
                if (auto p = env("MASTER_PORT"); p && !p->empty())
                    port = *p;
                parseRendezvousUrl("tcp://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port, r);
            }
            return r;
        }
    }
    r.source = "single process";
    return r;
}

}  // namespace mitoseg
