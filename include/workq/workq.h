/* workq/workq.h — umbrella header: include this to use workq. */
#ifndef WORKQ_WORKQ_H
#define WORKQ_WORKQ_H

#include "client.h"
#include "errors.h"
#include "export.h"
#include "server.h"
#include "transport.h"
#include "version.h"

#endif /* WORKQ_WORKQ_H */
