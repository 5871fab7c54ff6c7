// Realistic signed deliveries for the benchmark: a mix of AAA and XAA event types, ~2-3 KB,
// every one with unique activity ids so that nothing is deduplicated away.
import { createHmac } from 'node:crypto';

const PAD = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. '.repeat(8);

function user(id, name) {
  return {
    id: Number(id) < 2 ** 53 ? Number(id) : id,
    id_str: id,
    name,
    screen_name: name.toLowerCase(),
    location: 'Somewhere on the internet',
    url: null,
    description: PAD.slice(0, 160),
    protected: false,
    verified: false,
    followers_count: 1200,
    friends_count: 300,
    listed_count: 10,
    favourites_count: 50,
    statuses_count: 800,
    created_at: 'Sat Dec 14 04:35:55 +0000 2013',
    profile_image_url_https: 'https://pbs.twimg.com/profile_images/1234567890123456789/abcdefgh_normal.jpg',
    profile_banner_url: 'https://pbs.twimg.com/profile_banners/1234567890/1600000000',
    profile_background_color: 'F5F8FA',
    profile_background_image_url_https: 'https://abs.twimg.com/images/themes/theme1/bg.png',
    profile_background_tile: false,
    profile_link_color: '1DA1F2',
    profile_sidebar_border_color: 'C0DEED',
    profile_sidebar_fill_color: 'DDEEF6',
    profile_text_color: '333333',
    profile_use_background_image: true,
    default_profile: true,
    default_profile_image: false,
    translator_type: 'none',
    withheld_in_countries: [],
    geo_enabled: false,
    contributors_enabled: false,
    is_translator: false,
    following: null,
    follow_request_sent: null,
    notifications: null,
  };
}

const SUBSCRIBED = '2244994945';
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n) => String(n).padStart(2, '0');

/** X's v1.1 created_at form: "Mon Nov 02 09:15:41 +0000 2026". */
function v1Time(ms) {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000 ${d.getUTCFullYear()}`;
}
const KINDS = ['tweet', 'tweet', 'favorite', 'follow', 'dm', 'xaa_post'];

/** The n-th delivery body (a string). `run` keeps ids unique across runs against one store. */
export function deliveryBody(n, run = 0) {
  const seq = BigInt(run) * 100_000_000n + BigInt(n);
  const postId = String(1985000000000000000n + seq);
  // Activities happen now: older than the receiver's dedupe window (5 days), they would be
  // stored stale and never dispatched, and the plugin scenarios would measure no dispatch.
  const now = Date.now();
  const created = v1Time(now - 60_000);
  switch (KINDS[n % KINDS.length]) {
    case 'tweet':
      return `{"for_user_id":"${SUBSCRIBED}","user_has_blocked":false,"tweet_create_events":[{"created_at":"${created}","id":${postId},"id_str":"${postId}","text":"@XDevelopers ${PAD.slice(0, 200)}","source":"<a href=\\"https://x.com\\">X Web App</a>","truncated":false,"in_reply_to_status_id":null,"in_reply_to_status_id_str":null,"in_reply_to_user_id":2244994945,"in_reply_to_user_id_str":"2244994945","in_reply_to_screen_name":"XDevelopers","user":${JSON.stringify(user('1375036644', 'Jessica'))},"entities":{"hashtags":[],"urls":[],"user_mentions":[{"screen_name":"XDevelopers","name":"Developers","id":2244994945,"id_str":"2244994945","indices":[0,12]}],"symbols":[]},"favorite_count":0,"retweet_count":0,"lang":"en","timestamp_ms":"${now}"}]}`;
    case 'favorite':
      return JSON.stringify({
        for_user_id: SUBSCRIBED,
        favorite_events: [
          {
            id: `fav${seq.toString(16).padStart(29, '0')}`,
            created_at: v1Time(now),
            timestamp_ms: now,
            favorited_status: { created_at: created, id_str: postId, text: PAD.slice(0, 240), user: user(SUBSCRIBED, 'Developers'), entities: {} },
            user: user('1375036644', 'Jessica'),
          },
        ],
      });
    case 'follow':
      return JSON.stringify({
        for_user_id: SUBSCRIBED,
        follow_events: [
          { type: 'follow', created_timestamp: String(now), target: user(SUBSCRIBED, 'Developers'), source: user(String(1000000000n + seq), 'Follower') },
        ],
      });
    case 'dm':
      return JSON.stringify({
        for_user_id: SUBSCRIBED,
        direct_message_events: [
          {
            type: 'message_create',
            id: postId,
            created_timestamp: String(now),
            message_create: { target: { recipient_id: SUBSCRIBED }, sender_id: '1375036644', source_app_id: '268278', message_data: { text: PAD.slice(0, 400), entities: { hashtags: [], symbols: [], user_mentions: [], urls: [] } } },
          },
        ],
        apps: { 268278: { id: '268278', name: 'X Web Client', url: 'https://x.com' } },
        users: { 1375036644: user('1375036644', 'Jessica'), [SUBSCRIBED]: user(SUBSCRIBED, 'Developers') },
      });
    default:
      return JSON.stringify({
        data: {
          event_type: 'post.create',
          event_uuid: `bench-${seq}`,
          filter: { user_id: SUBSCRIBED },
          tag: 'bench',
          payload: { id: postId, text: PAD, author_id: SUBSCRIBED, created_at: new Date(now).toISOString() },
          includes: { users: [{ id: SUBSCRIBED, username: 'XDevelopers', name: 'Developers', description: PAD.slice(0, 300) }] },
        },
      });
  }
}

export function signed(secret, body) {
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-twitter-webhooks-signature': `sha256=${createHmac('sha256', secret).update(body).digest('base64')}`,
    },
  };
}

/**
 * The n-th line of the XAA persistent stream: the XAA envelope (a post of the subscribed user,
 * ~1.5 KB) dated `at`, so that it is dispatched rather than stale; unique per (n, run).
 */
export function streamLine(n, run = 0, at = new Date()) {
  const seq = BigInt(run) * 100_000_000n + BigInt(n);
  const postId = String(1986000000000000000n + seq);
  return JSON.stringify({
    data: {
      event_type: 'post.create',
      event_uuid: `bench-stream-${seq}`,
      filter: { user_id: SUBSCRIBED },
      tag: 'bench',
      payload: { id: postId, text: PAD, author_id: SUBSCRIBED, created_at: at.toISOString() },
      includes: { users: [{ id: SUBSCRIBED, username: 'XDevelopers', name: 'Developers', description: PAD.slice(0, 300) }] },
    },
  });
}
