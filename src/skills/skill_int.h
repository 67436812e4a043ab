/*
 * skill_int.h — between the skills' files: the state table's part of a
 * scan (skill_store.c).
 */
#ifndef OXIOS_SKILLS_SKILL_INT_H
#define OXIOS_SKILLS_SKILL_INT_H

#include <sqlite3.h>

#include "skills/skill.h"

/* Fill s->enabled and s->changed from the state table (db may be NULL). */
void skill_state_apply(sqlite3 *db, struct skill *s);

#endif
