/* The two nested-table formats a backend may ask for: Intel EPT (SDM Vol. 3C,
 * 29.3.2) and AMD nested paging, whose tables are long-mode page tables walked
 * as user accesses (APM Vol. 2, 15.25.5). The entry bits are in ept.h and
 * paging.h; hv/mem/nested.c builds and walks either. */
#ifndef ARCH_X86_NESTED_FORMAT_H
#define ARCH_X86_NESTED_FORMAT_H

enum nested_format { NESTED_FORMAT_EPT, NESTED_FORMAT_NPT };

#endif
