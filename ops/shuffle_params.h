/* Parameters of ChannelShuffle (ai.rooftop), written by the channel_shuffle pass. */
#ifndef ROOF_SHUFFLE_PARAMS_H
#define ROOF_SHUFFLE_PARAMS_H

#include <stdint.h>

typedef struct roof_shuffle_params {
  int64_t groups;
} roof_shuffle_params;

#endif
