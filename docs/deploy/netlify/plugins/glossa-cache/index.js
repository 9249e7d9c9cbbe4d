// Keeps glossa's binary (.glossa/) and cache (.glossa-cache/: the share
// cards already drawn, by content hash) between Netlify builds, with the
// cache utility Netlify gives build plugins. Any saved copy is safe to
// restore: glossa checks its binary's version, and looks a card up by the
// hash of what it shows.
const paths = ['.glossa', '.glossa-cache']

module.exports = {
  // before the build command
  onPreBuild: async ({ utils }) => {
    await utils.cache.restore(paths)
  },
  // after it succeeded
  onPostBuild: async ({ utils }) => {
    await utils.cache.save(paths)
  },
}
