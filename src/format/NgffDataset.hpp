#pragma once

#include <string>
#include <vector>

namespace zarr {

/// One level of an OME-NGFF multiscale image: the array at `path` (relative
/// to the multiscales group) and its physical size of one pixel per axis.
struct NgffDataset
{
    std::string path;
    std::vector<double> scale;
};

} // namespace zarr
