#include "format/DataType.hpp"

#include "util/ZarrError.hpp"

namespace zarr {
namespace {

struct TypeInfo
{
    std::size_t bytes;
    const char* v3_name;
    const char* v2_dtype;
};

TypeInfo
info(ZarrDataType type)
{
    switch (type) {
        case ZarrDataType_uint8:
            return { 1, "uint8", "|u1" };
        case ZarrDataType_uint16:
            return { 2, "uint16", "<u2" };
        case ZarrDataType_uint32:
            return { 4, "uint32", "<u4" };
        case ZarrDataType_uint64:
            return { 8, "uint64", "<u8" };
        case ZarrDataType_int8:
            return { 1, "int8", "|i1" };
        case ZarrDataType_int16:
            return { 2, "int16", "<i2" };
        case ZarrDataType_int32:
            return { 4, "int32", "<i4" };
        case ZarrDataType_int64:
            return { 8, "int64", "<i8" };
        case ZarrDataType_float32:
            return { 4, "float32", "<f4" };
        case ZarrDataType_float64:
            return { 8, "float64", "<f8" };
        default:
            fail(ZarrStatusCode_InvalidArgument,
                 "data_type ",
                 int(type),
                 " is not a ZarrDataType");
    }
}

} // namespace

std::size_t
bytes_of(ZarrDataType type)
{
    return info(type).bytes;
}

std::string
v3_data_type_name(ZarrDataType type)
{
    return info(type).v3_name;
}

std::string
v2_dtype(ZarrDataType type)
{
    return info(type).v2_dtype;
}

bool
is_floating_point(ZarrDataType type)
{
    return type == ZarrDataType_float32 || type == ZarrDataType_float64;
}

} // namespace zarr
