// The StockStore contract against the core's in-memory store (the simulator's store).
import { InMemoryStockStore } from "@synclag/core";
import { runStockStoreContract } from "../src/stock-store-contract.js";

runStockStoreContract("InMemoryStockStore", (clock) => new InMemoryStockStore({ clock }));
