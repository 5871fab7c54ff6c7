import type { NewsData, ProfileUpdateData, ReplayStatusData, RevokeData, SideObjects } from '../../events/index.js';
import { dateOf, idString, isObject, obj, timeMs, userId, type Json } from '../envelope/fields.js';
import { str } from './users.js';

/** AAA user_event.revoke `{source: {user_id}, target: {app_id}}`; XAA oauth.revoke `{user_id, app_id}`. */
export function revokeData(p: Json): RevokeData {
  return {
    userId: idString(p.user_id) ?? idString(obj(p.source).user_id),
    appId: idString(p.app_id) ?? idString(obj(p.target).app_id),
    revokedAt: dateOf(timeMs(p.date_time) ?? timeMs(p.created_at)),
  };
}

/** profile.update.*: `{before, after}`; the user is the subscribed one (X's payload names none). */
export function profileUpdateData(p: Json, field: string, forUserId: string | null): ProfileUpdateData {
  return { userId: userId(p.user) ?? forUserId, field, before: p.before ?? null, after: p.after ?? null };
}

/** news.new: X's page names `name` (the headline), X's spec `headline`: either. */
export function newsData(p: Json, side: SideObjects): NewsData {
  const clusters = Array.isArray(p.cluster_posts_results) ? p.cluster_posts_results : [];
  return {
    newsId: idString(p.id),
    headline: str(p.name) ?? str(p.headline),
    category: str(p.category),
    hook: str(p.hook),
    summary: str(p.summary),
    updatedAt: dateOf(timeMs(p.updated_at)),
    keyword: str(obj(side.filter).keyword),
    postIds: clusters.map((c) => (isObject(c) ? idString(c.post_id) : null)).filter((id): id is string => id !== null),
  };
}

export function replayStatusData(p: Json): ReplayStatusData {
  return {
    jobId: idString(p.job_id),
    webhookId: idString(p.webhook_id),
    state: str(p.job_state),
    description: str(p.job_state_description),
  };
}
