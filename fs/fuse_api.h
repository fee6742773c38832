// The one place that picks the libfuse API level: every srsfs file includes libfuse through this header.
#pragma once
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 314  // libfuse 3.14: fuse_loop_config objects, fuse_parse_cmdline with max_threads
#endif
#include <fuse_lowlevel.h>
#include <fuse_opt.h>
