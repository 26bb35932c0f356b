#pragma once

#include <cstring>
#include <type_traits>

namespace zarr {

/// The integer a C caller stored in an enum. C may put any int there, but
/// in C++ loading an enum outside its range is undefined behaviour, so
/// values from the C API are read as raw integers and checked first.
template<typename Enum>
int
raw_enum(const Enum& value)
{
    static_assert(std::is_enum_v<Enum> && sizeof(Enum) == sizeof(int));
    int raw;
    std::memcpy(&raw, &value, sizeof raw);
    return raw;
}

/// Whether a C enum holds one of the values 0 .. count-1.
template<typename Enum>
bool
enum_in_range(const Enum& value, Enum count)
{
    const int raw = raw_enum(value);
    return raw >= 0 && raw < int(count);
}

} // namespace zarr
