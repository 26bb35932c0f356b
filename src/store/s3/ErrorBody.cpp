#include "store/s3/ErrorBody.hpp"

#include <pugixml.hpp>

namespace zarr::s3 {

ErrorBody
ErrorBody::parse(std::string_view body)
{
    ErrorBody error;
    pugi::xml_document document;
    if (body.empty() || !document.load_buffer(body.data(), body.size())) {
        return error;
    }
    const pugi::xml_node root = document.child("Error");
    error.code = root.child_value("Code");
    error.message = root.child_value("Message");
    error.region = root.child_value("Region");
    return error;
}

} // namespace zarr::s3
