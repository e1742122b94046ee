// The baseline for the ingest benchmark: a Worker that does nothing but answer 204.
export default {
  fetch() {
    return new Response(null, { status: 204 });
  },
};
