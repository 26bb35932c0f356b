#include "util/SystemMemory.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

namespace zarr {
namespace {

std::optional<uint64_t>
read_number(const std::string& path)
{
    std::ifstream file(path);
    std::string text;
    if (!(file >> text) || text == "max") {
        return std::nullopt;
    }
    try {
        return std::stoull(text);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<uint64_t>
mem_available()
{
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    uint64_t kib = 0;
    std::string unit;
    while (meminfo >> key >> kib >> unit) {
        if (key == "MemAvailable:") {
            return kib * 1024;
        }
    }
    return std::nullopt;
}

/// What the process's memory cgroup still allows: its limit minus what it
/// uses. cgroup v2 ("0::/path") or v1 ("N:memory:/path").
std::optional<uint64_t>
cgroup_headroom()
{
    std::ifstream cgroups("/proc/self/cgroup");
    std::string line;
    while (std::getline(cgroups, line)) {
        const auto first = line.find(':');
        const auto second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) {
            continue;
        }
        const std::string controllers = line.substr(first + 1, second - first - 1);
        const std::string path = line.substr(second + 1);
        std::optional<uint64_t> limit, usage;
        if (controllers.empty()) {
            const std::string dir = "/sys/fs/cgroup" + path;
            limit = read_number(dir + "/memory.max");
            usage = read_number(dir + "/memory.current");
        } else if (controllers == "memory") {
            const std::string dir = "/sys/fs/cgroup/memory" + path;
            limit = read_number(dir + "/memory.limit_in_bytes");
            usage = read_number(dir + "/memory.usage_in_bytes");
        }
        // v1 says "no limit" with a huge number (about 2^63).
        if (limit && usage && *limit < (uint64_t(1) << 60)) {
            return *limit > *usage ? *limit - *usage : 0;
        }
    }
    return std::nullopt;
}

} // namespace

std::optional<uint64_t>
available_memory()
{
    const auto available = mem_available();
    const auto headroom = cgroup_headroom();
    if (available && headroom) {
        return std::min(*available, *headroom);
    }
    return available ? available : headroom;
}

} // namespace zarr
