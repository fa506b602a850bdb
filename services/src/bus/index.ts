export type {
  MessageHandler,
  MessageProperties,
  PublishOptions,
  QoS,
  SubscribeOptions,
  Transport,
  TransportEvent,
  TransportEvents,
  TransportListener,
  TransportMessage,
  Unsubscribe,
  WillMessage,
} from './transport.js';
export {
  filterCovers,
  isValidTopicFilter,
  isValidTopicName,
  parseSharedFilter,
  topicMatches,
  type SharedFilter,
} from './topic-filter.js';
export { MemoryBroker, type MemoryBrokerOptions } from './memory-broker.js';
export { MemoryTransport, type MemoryTransportOptions } from './memory-transport.js';
export { MqttTransport, type MqttTransportOptions } from './mqtt-transport.js';
export { withFaults, type FaultOptions, type FaultStats, type FaultyTransport } from './faulty-transport.js';
export { startMqttFaultProxy, type DirectionStats, type MqttFaultProxy, type MqttFaultProxyOptions, type ProxyDirection, type PublishFaults } from './mqtt-fault-proxy.js';
export { mulberry32 as seededRandom } from '../common/seeded-rng.js';
export { ACL_RULES, aclPatternsFor, isValidBrokerUsername, mqttAcl, type AclSubject, type BrokerRole, type BrokerUser } from './mqtt-acl.js';
export { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js';
export {
  hashMosquittoPassword,
  renderMosquittoAcl,
  renderMosquittoConf,
  renderMosquittoPasswords,
  type MosquittoConfOptions,
} from './mosquitto-config.js';
export {
  hasMosquitto,
  mosquittoBinary,
  startMosquitto,
  writeMosquittoFiles,
  type MosquittoOptions,
  type MosquittoProcess,
} from './mosquitto-process.js';
export { freePort, waitForPort, type WaitForPortOptions } from './tcp-port.js';
export { MessageInbox } from './message-inbox.js';
