/** Types for kafkajs-snappy, a pure-JS Snappy codec for kafkajs (it ships none). */
declare module 'kafkajs-snappy' {
  import type { Codec } from 'kafkajs';
  const codec: () => ReturnType<Codec>;
  export = codec;
}
